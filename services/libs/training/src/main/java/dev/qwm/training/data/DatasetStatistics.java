package dev.qwm.training.data;

import dev.qwm.training.model.Normalization;

import java.io.IOException;

/**
 * Normalisation statistics of a training split, as DINO-WM computes them: mean and unbiased std of every proprio
 * and env-action dimension over all steps of all episodes. The macro-action statistics repeat the env-action
 * ones {@code frameskip} times, because a macro action is {@code frameskip} normalised env actions in a row.
 */
public final class DatasetStatistics {

    private DatasetStatistics() {
    }

    public static Normalization compute(TrainingEpisodes source, int frameskip) throws IOException {
        int p = source.proprioDim();
        int a = source.actionDim();
        double[][] proprio = new double[3][p];
        double[][] action = new double[3][a];
        source.forEach(-1, false, e -> {
            accumulate(proprio, e.proprio(), p);
            accumulate(action, e.actions(), a);
        });
        float[] pm = new float[p];
        float[] ps = new float[p];
        finish(proprio, pm, ps, "proprio", source);
        float[] am = new float[a];
        float[] as = new float[a];
        finish(action, am, as, "action", source);
        float[] macroMean = new float[a * frameskip];
        float[] macroStd = new float[a * frameskip];
        for (int k = 0; k < frameskip; k++) {
            System.arraycopy(am, 0, macroMean, k * a, a);
            System.arraycopy(as, 0, macroStd, k * a, a);
        }
        return new Normalization(pm, ps, macroMean, macroStd);
    }

    private static void accumulate(double[][] acc, float[] values, int dim) {
        for (int i = 0; i < values.length; i++) {
            int d = i % dim;
            acc[0][d] += 1;
            acc[1][d] += values[i];
            acc[2][d] += (double) values[i] * values[i];
        }
    }

    private static void finish(double[][] acc, float[] mean, float[] std, String what, TrainingEpisodes source) {
        for (int d = 0; d < mean.length; d++) {
            double n = acc[0][d];
            if (n < 2) {
                throw new IllegalArgumentException(source.describe() + ": too few values to compute " + what + " statistics");
            }
            double m = acc[1][d] / n;
            double var = (acc[2][d] - n * m * m) / (n - 1);
            if (!(var > 1e-12)) {
                throw new IllegalArgumentException(source.describe() + ": " + what + " dimension " + d
                        + " is constant in the training data (std 0); it cannot be normalised");
            }
            mean[d] = (float) m;
            std[d] = (float) Math.sqrt(var);
        }
    }
}
