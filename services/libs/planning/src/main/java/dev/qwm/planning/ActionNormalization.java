package dev.qwm.planning;

import java.util.Arrays;

/**
 * The map between CEM's normalised macro actions and env actions: per macro dimension {@code a = a_n * std + mean};
 * a macro action is {@code frameskip} env actions concatenated in time order ({@code (f d)} in DINO-WM's einops).
 */
public record ActionNormalization(double[] mean, double[] std, int frameskip) {

    public ActionNormalization {
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("mean and std must have the same non-zero length, got "
                    + mean.length + " and " + std.length);
        }
        if (frameskip < 1 || mean.length % frameskip != 0) {
            throw new IllegalArgumentException("macro dimension " + mean.length + " is not a multiple of frameskip "
                    + frameskip);
        }
        for (double s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("action std must be > 0, got " + Arrays.toString(std));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** Per-env-dimension statistics repeated over the frameskip (DINO-WM normalises each env action alike). */
    public static ActionNormalization perEnvAction(double[] envMean, double[] envStd, int frameskip) {
        double[] m = new double[envMean.length * frameskip];
        double[] s = new double[envStd.length * frameskip];
        for (int f = 0; f < frameskip; f++) {
            System.arraycopy(envMean, 0, m, f * envMean.length, envMean.length);
            System.arraycopy(envStd, 0, s, f * envStd.length, envStd.length);
        }
        return new ActionNormalization(m, s, frameskip);
    }

    public int macroDim() {
        return mean.length;
    }

    public int envActionDim() {
        return mean.length / frameskip;
    }

    /** The {@code frameskip} env actions of one normalised macro action starting at {@code offset}. */
    public double[][] toEnvActions(float[] normalized, int offset) {
        int d = envActionDim();
        double[][] out = new double[frameskip][d];
        for (int f = 0; f < frameskip; f++) {
            for (int i = 0; i < d; i++) {
                int k = f * d + i;
                out[f][i] = normalized[offset + k] * std[k] + mean[k];
            }
        }
        return out;
    }

    /** The normalised macro value of the all-zero env action (DINO-WM masks actions after success with it). */
    public float[] normalizedZeroAction() {
        float[] z = new float[mean.length];
        for (int k = 0; k < z.length; k++) {
            z[k] = (float) (-mean[k] / std[k]);
        }
        return z;
    }

    /** The normalised macro action of {@code frameskip} env actions (the inverse of {@link #toEnvActions}). */
    public float[] normalize(double[][] envActions) {
        if (envActions.length != frameskip) {
            throw new IllegalArgumentException("a macro action is " + frameskip + " env actions, got " + envActions.length);
        }
        int d = envActionDim();
        float[] out = new float[mean.length];
        for (int f = 0; f < frameskip; f++) {
            if (envActions[f].length != d) {
                throw new IllegalArgumentException("env action " + f + " has " + envActions[f].length
                        + " dimensions, expected " + d);
            }
            for (int i = 0; i < d; i++) {
                int k = f * d + i;
                out[k] = (float) ((envActions[f][i] - mean[k]) / std[k]);
            }
        }
        return out;
    }
}
