package dev.qwm.training.model;

import java.util.Arrays;

/**
 * Per-dimension normalisation statistics from the training data (DINO-WM normalises actions and proprio with
 * the dataset's mean and unbiased std). Actions are macro actions ({@code actionDim} = env dim x frameskip).
 */
public record Normalization(float[] proprioMean, float[] proprioStd, float[] actionMean, float[] actionStd) {

    public Normalization {
        if (proprioMean.length != proprioStd.length || actionMean.length != actionStd.length) {
            throw new IllegalArgumentException("mean and std lengths differ: proprio " + proprioMean.length + "/"
                    + proprioStd.length + ", action " + actionMean.length + "/" + actionStd.length);
        }
        for (float s : proprioStd) {
            checkStd(s, "proprio");
        }
        for (float s : actionStd) {
            checkStd(s, "action");
        }
    }

    private static void checkStd(float s, String what) {
        if (!(s > 0) || Float.isInfinite(s)) {
            throw new IllegalArgumentException(what + " std must be positive and finite, got " + s);
        }
    }

    /** Identity statistics (mean 0, std 1), for tests and random-weight models. */
    public static Normalization identity(int proprioDim, int actionDim) {
        float[] ones = new float[proprioDim];
        Arrays.fill(ones, 1f);
        float[] aOnes = new float[actionDim];
        Arrays.fill(aOnes, 1f);
        return new Normalization(new float[proprioDim], ones, new float[actionDim], aOnes);
    }

    public float[] normalizeProprio(float[] raw) {
        return apply(raw, proprioMean, proprioStd);
    }

    public float[] normalizeAction(float[] raw) {
        return apply(raw, actionMean, actionStd);
    }

    /** Normalises a flat row-major array whose last axis has the statistics' length. */
    private static float[] apply(float[] raw, float[] mean, float[] std) {
        if (raw.length % mean.length != 0) {
            throw new IllegalArgumentException("length " + raw.length + " is not a multiple of " + mean.length);
        }
        float[] out = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
            int d = i % mean.length;
            out[i] = (raw[i] - mean[d]) / std[d];
        }
        return out;
    }
}
