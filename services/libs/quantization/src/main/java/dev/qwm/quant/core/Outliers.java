package dev.qwm.quant.core;

import java.util.Arrays;

/**
 * How far a tensor's largest values stand out from its typical ones: the two shapes of the outlier problem that make
 * a layer hard to quantize (large activation channels for activation quantization, a few large weights per row for
 * low-bit weights). Reported per layer beside its output error, so that a module's sensitivity can be explained by
 * its statistics rather than guessed.
 */
public final class Outliers {

    private Outliers() {
    }

    /** max(v) / median(v) over non-negative values (e.g. per-channel max|x|); NaN when the median is 0. */
    public static double maxOverMedian(float[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        float[] sorted = values.clone();
        Arrays.sort(sorted);
        double median = median(sorted);
        return median == 0 ? Double.NaN : sorted[sorted.length - 1] / median;
    }

    /**
     * The median over the rows of a row-major {@code rows × cols} matrix of max|w| / rms(w) (a row's crest factor):
     * 1 for a row of equal magnitudes, √cols for a row with one non-zero weight; NaN when every row is zero.
     */
    public static double medianRowCrest(float[] w, int rows, int cols) {
        if (w.length != (long) rows * cols) {
            throw new IllegalArgumentException("weights: " + w.length + " values for " + rows + " x " + cols);
        }
        double[] crest = new double[rows];
        int n = 0;
        for (int r = 0; r < rows; r++) {
            double max = 0;
            double sq = 0;
            for (int c = 0; c < cols; c++) {
                double v = Math.abs(w[r * cols + c]);
                max = Math.max(max, v);
                sq += v * v;
            }
            if (sq > 0) {
                crest[n++] = max / Math.sqrt(sq / cols);
            }
        }
        if (n == 0) {
            return Double.NaN;
        }
        double[] used = Arrays.copyOf(crest, n);
        Arrays.sort(used);
        return n % 2 == 1 ? used[n / 2] : (used[n / 2 - 1] + used[n / 2]) / 2;
    }

    private static double median(float[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + (double) sorted[n / 2]) / 2;
    }
}
