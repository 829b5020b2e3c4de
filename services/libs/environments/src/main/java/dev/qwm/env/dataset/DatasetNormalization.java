package dev.qwm.env.dataset;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * Per-dimension mean and unbiased standard deviation over every entry of every episode (both splits), as
 * DINO-WM computes them at load ({@code normalize_action: True}). Actions are per env step (2-D); the model's
 * macro actions of {@code frameskip} steps use these values tiled ({@link #macroActionMean(int)}).
 */
public record DatasetNormalization(double[] actionMean, double[] actionStd, double[] proprioMean, double[] proprioStd,
                            double[] stateMean, double[] stateStd, long actionCount, long stateCount) {

    /** Action mean repeated {@code frameskip} times: DINO-WM's macro action [a_t, a_t+1, ...]. */
    public double[] macroActionMean(int frameskip) {
        return tile(actionMean, frameskip);
    }

    public double[] macroActionStd(int frameskip) {
        return tile(actionStd, frameskip);
    }

    @JsonIgnore
    public int actionDim() {
        return actionMean.length;
    }

    private static double[] tile(double[] v, int times) {
        double[] out = new double[v.length * times];
        for (int k = 0; k < times; k++) {
            System.arraycopy(v, 0, out, k * v.length, v.length);
        }
        return out;
    }
}
