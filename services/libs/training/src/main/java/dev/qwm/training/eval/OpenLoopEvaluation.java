package dev.qwm.training.eval;

import java.nio.ByteBuffer;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.env.dataset.Episode;
import dev.qwm.training.data.Episodes;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Open-loop prediction error of a bundle on held-out episodes, 1..H macro steps ahead, against the copy-last-frame
 * baseline. The rollout is DINO-WM's ({@code VWorldModel.rollout}, docs/reference/dinowm.md, "Rollout"): the true
 * history of {@code numHist} frames goes in, each predicted last frame is appended with its action channels replaced by
 * the next action's embedding, and the predictor always sees the last {@code numHist} frames. The error at step k is
 * the MSE between the predicted visual latent and the encoding of the true frame k macro steps later.
 */
public final class OpenLoopEvaluation {

    /** Mean visual-latent MSE per horizon (index 0 = 1 step ahead) for the model and for copy-last. */
    public record Table(int windows, double[] model, double[] copyLast) {

        public double ratio(int k) {
            return copyLast[k] / model[k];
        }

        /** Smallest copy-last / model ratio over the horizons. */
        public double worstRatio() {
            double worst = Double.POSITIVE_INFINITY;
            for (int k = 0; k < model.length; k++) {
                worst = Math.min(worst, ratio(k));
            }
            return worst;
        }

        public String format() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                    "open-loop visual-latent MSE on %d validation windows%n  %-7s %-12s %-12s %s%n",
                    windows, "steps", "model", "copy-last", "copy-last / model"));
            for (int k = 0; k < model.length; k++) {
                sb.append(String.format(Locale.ROOT, "  %-7d %-12.5f %-12.5f %.1fx%n", k + 1, model[k], copyLast[k], ratio(k)));
            }
            return sb.toString();
        }
    }

    private OpenLoopEvaluation() {
    }

    /**
     * @param episodes validation episodes with frames
     * @param horizon  macro steps to roll out (5 as the planner's horizon)
     * @param stride   env steps between window starts within an episode
     */
    public static Table evaluate(OnnxWorldModel wm, List<Episode> episodes, int horizon, int stride) {
        BundleManifest m = wm.manifest();
        int h = m.numHist();
        int fs = m.frameskip();
        int n = m.numPatches();
        int d = m.latentDim();
        int e = m.tokenDim();
        int pe = m.proprioEmbDim();
        int ae = m.actionEmbDim();
        double[] mean = m.actionMean();
        double[] std = m.actionStd();
        double[] modelErr = new double[horizon];
        double[] copyErr = new double[horizon];
        int windows = 0;
        for (Episode ep : episodes) {
            int frames = ep.steps() + 1;
            float[] latents = wm.visualEncoder().encode(ByteBuffer.wrap(ep.frames()), frames);
            float[] proprioEmb = wm.dynamics().embedProprio(ep.proprio(), 1, frames);
            List<Integer> starts = new ArrayList<>();
            for (int t0 = (h - 1) * fs; t0 + horizon * fs <= ep.steps(); t0 += stride) {
                starts.add(t0);
            }
            if (starts.isEmpty()) {
                continue;
            }
            int b = starts.size();
            // Macro actions of every step the rollout uses, normalised: frames t0-(h-1)fs .. t0+(horizon-1)fs.
            int steps = h - 1 + horizon;
            float[] acts = new float[b * steps * m.actionDim()];
            for (int i = 0; i < b; i++) {
                for (int s = 0; s < steps; s++) {
                    int t = starts.get(i) + (s - (h - 1)) * fs;
                    float[] a = Episodes.macroAction(ep, t, fs);
                    for (int j = 0; j < a.length; j++) {
                        acts[(i * steps + s) * m.actionDim() + j] = (float) ((a[j] - mean[j]) / std[j]);
                    }
                }
            }
            float[] actEmb = wm.dynamics().embedActions(acts, b, steps);
            // History tokens [b, h, n, e].
            float[] z = new float[b * h * n * e];
            for (int i = 0; i < b; i++) {
                for (int k = 0; k < h; k++) {
                    int t = starts.get(i) + (k - (h - 1)) * fs;
                    for (int p = 0; p < n; p++) {
                        int dst = ((i * h + k) * n + p) * e;
                        System.arraycopy(latents, (t * n + p) * d, z, dst, d);
                        System.arraycopy(proprioEmb, t * pe, z, dst + d, pe);
                        System.arraycopy(actEmb, (i * steps + k) * ae, z, dst + d + pe, ae);
                    }
                }
            }
            for (int k = 1; k <= horizon; k++) {
                float[] pred = wm.dynamics().predictTokens(z, b, h);
                float[] next = new float[b * h * n * e];
                for (int i = 0; i < b; i++) {
                    int t0 = starts.get(i);
                    int target = t0 + k * fs;
                    double se = 0;
                    double sc = 0;
                    int last = ((i * h + (h - 1)) * n) * e;
                    for (int p = 0; p < n; p++) {
                        for (int j = 0; j < d; j++) {
                            double y = latents[(target * n + p) * d + j];
                            double yp = pred[last + p * e + j];
                            double y0 = latents[(t0 * n + p) * d + j];
                            se += (yp - y) * (yp - y);
                            sc += (y0 - y) * (y0 - y);
                        }
                    }
                    modelErr[k - 1] += se / (n * d);
                    copyErr[k - 1] += sc / (n * d);
                    // Shift the window: drop the oldest frame, append the prediction with the next action.
                    int frameSize = n * e;
                    System.arraycopy(z, (i * h + 1) * frameSize, next, i * h * frameSize, (h - 1) * frameSize);
                    System.arraycopy(pred, last, next, (i * h + h - 1) * frameSize, frameSize);
                    if (k < horizon) {
                        for (int p = 0; p < n; p++) {
                            System.arraycopy(actEmb, (i * steps + h - 1 + k) * ae, next,
                                    (i * h + h - 1) * frameSize + p * e + d + pe, ae);
                        }
                    }
                }
                z = next;
            }
            windows += b;
        }
        if (windows == 0) {
            throw new IllegalArgumentException("no validation episode is long enough for " + horizon + " macro steps");
        }
        for (int k = 0; k < horizon; k++) {
            modelErr[k] /= windows;
            copyErr[k] /= windows;
        }
        return new Table(windows, modelErr, copyErr);
    }
}
