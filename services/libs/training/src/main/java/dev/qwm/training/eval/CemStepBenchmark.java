package dev.qwm.training.eval;

import dev.qwm.onnx.bundle.BundleManifest;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Time of one FP32 CEM step through ONNX Runtime (DESIGN §6 budget: 300 candidates x horizon 5 within 150 ms for
 * Wall and 400 ms for PushT on one core): embed the candidates' actions, then DINO-WM's rollout of all candidates
 * as one batch per predictor call (call k sees min(k+1, numHist) frames, quantwm-facts.md §1.5), including the
 * token copies between calls. The start latent is encoded once per plan and is not part of a step.
 */
public final class CemStepBenchmark {

    /** Timings in milliseconds over {@code runs} CEM steps after one warm-up. */
    public record Timing(double minMs, double medianMs, int runs) {
    }

    private CemStepBenchmark() {
    }

    public static Timing measure(OnnxWorldModel wm, int candidates, int horizon, int runs) {
        BundleManifest m = wm.manifest();
        int n = m.numPatches();
        int e = m.tokenDim();
        int d = m.latentDim();
        int h = m.numHist();
        SplittableRandom r = new SplittableRandom(1);
        byte[] image = new byte[m.imageSize() * m.imageSize() * 3];
        r.nextBytes(image);
        float[] start = wm.encode(image, 1);
        float[] proprioEmb = wm.embedProprio(new float[m.proprioDim()], 1, 1);
        float[] actions = new float[candidates * horizon * m.actionDim()];
        for (int i = 0; i < actions.length; i++) {
            actions[i] = (float) r.nextGaussian();
        }
        double[] ms = new double[runs];
        for (int run = -1; run < runs; run++) {
            long t0 = System.nanoTime();
            float[] actEmb = wm.embedAction(actions, candidates, horizon);
            int ae = m.actionEmbDim();
            int pe = m.proprioEmbDim();
            // frames held per candidate: up to numHist, newest last
            float[] frames = new float[candidates * h * n * e];
            int held = 1;
            for (int c = 0; c < candidates; c++) {
                for (int p = 0; p < n; p++) {
                    int o = (c * h * n + p) * e;
                    System.arraycopy(start, p * d, frames, o, d);
                    System.arraycopy(proprioEmb, 0, frames, o + d, pe);
                    System.arraycopy(actEmb, (c * horizon) * ae, frames, o + d + pe, ae);
                }
            }
            for (int k = 0; k < horizon; k++) {
                float[] z = held == h ? frames : compact(frames, candidates, h, held, n * e);
                float[] pred = wm.predict(z, candidates, held);
                int next = Math.min(held + 1, h);
                float[] grown = new float[candidates * h * n * e];
                int frame = n * e;
                for (int c = 0; c < candidates; c++) {
                    int keep = next - 1;
                    System.arraycopy(z, (c * held + held - keep) * frame, grown, c * h * frame, keep * frame);
                    System.arraycopy(pred, (c * held + held - 1) * frame, grown, (c * h + keep) * frame, frame);
                    if (k + 1 < horizon) {
                        for (int p = 0; p < n; p++) {
                            System.arraycopy(actEmb, (c * horizon + k + 1) * ae, grown, (c * h + keep) * frame + p * e + d + pe, ae);
                        }
                    }
                }
                frames = grown;
                held = next;
            }
            if (run >= 0) {
                ms[run] = (System.nanoTime() - t0) / 1e6;
            }
        }
        Arrays.sort(ms);
        return new Timing(ms[0], ms[runs / 2], runs);
    }

    /** The first {@code held} frames of each candidate's {@code h}-frame slot, packed [candidates, held, ...]. */
    private static float[] compact(float[] frames, int candidates, int h, int held, int frame) {
        float[] out = new float[candidates * held * frame];
        for (int c = 0; c < candidates; c++) {
            System.arraycopy(frames, c * h * frame, out, c * held * frame, held * frame);
        }
        return out;
    }
}
