package dev.qwm.training.eval;

import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Objective;
import dev.qwm.planning.Observation;
import dev.qwm.planning.onnx.OnnxWorldModel;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Time of one FP32 CEM step through ONNX Runtime (DESIGN §6 budget: 300 candidates x horizon 5 within 150 ms for
 * Wall and 400 ms for PushT on one core), measured on the planner's own path: {@link OnnxWorldModel#score}, i.e.
 * the candidates' action embeddings, DINO-WM's batched rollout (call k sees min(k+1, numHist) frames,
 * quantwm-facts.md §1.5) and the objective. Start and goal are encoded once per plan and are not part of a step.
 */
public final class CemStepBenchmark {

    /** Timings in milliseconds over {@code runs} CEM steps after one warm-up. */
    public record Timing(double minMs, double medianMs, int runs) {
    }

    private CemStepBenchmark() {
    }

    public static Timing measure(OnnxWorldModel wm, int candidates, int horizon, int runs) {
        BundleManifest m = wm.manifest();
        SplittableRandom r = new SplittableRandom(1);
        Latent start = wm.encode(randomObservation(m, r));
        Latent goal = wm.encode(randomObservation(m, r));
        float[] actions = new float[candidates * horizon * m.actionDim()];
        for (int i = 0; i < actions.length; i++) {
            actions[i] = (float) r.nextGaussian();
        }
        ActionBatch batch = new ActionBatch(candidates, horizon, m.actionDim(), actions);
        Objective objective = new Objective(1.0);
        double[] ms = new double[runs];
        for (int run = -1; run < runs; run++) {
            long t0 = System.nanoTime();
            wm.score(start, goal, batch, objective);
            if (run >= 0) {
                ms[run] = (System.nanoTime() - t0) / 1e6;
            }
        }
        Arrays.sort(ms);
        return new Timing(ms[0], ms[runs / 2], runs);
    }

    private static Observation randomObservation(BundleManifest m, SplittableRandom r) {
        byte[] image = new byte[m.imageSize() * m.imageSize() * 3];
        r.nextBytes(image);
        double[] proprio = new double[m.proprioDim()];
        for (int i = 0; i < proprio.length; i++) {
            proprio[i] = m.proprioMean()[i] + m.proprioStd()[i] * r.nextGaussian();
        }
        return new Observation(image, m.imageSize(), proprio, null);
    }
}
