package dev.qwm.quant.calib;

import java.util.Arrays;

/**
 * What calibration keeps about one activation tensor (a linear layer's input), with last dimension {@code width}:
 * per-channel min, max and Σ|x| over every row seen, a reservoir of sampled rows, and optionally the Gram matrix
 * H = Σ x xᵀ (with Σx) over the sampled rows. Memory is bounded by the reservoir and H, not by the data.
 */
public final class TensorStatistics {

    private final String tensor;
    private final int width;
    private long rows;
    private final float[] min;
    private final float[] max;
    private final double[] absSum;
    private final RowReservoir reservoir;
    private final double[] gram;
    private final double[] sampleSum;
    private long gramRows;

    public TensorStatistics(String tensor, int width, int reservoirRows, boolean withGram, long seed) {
        this.tensor = tensor;
        this.width = width;
        this.min = new float[width];
        this.max = new float[width];
        Arrays.fill(min, Float.POSITIVE_INFINITY);
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        this.absSum = new double[width];
        this.reservoir = new RowReservoir(width, reservoirRows, seed);
        this.gram = withGram ? new double[width * width] : null;
        this.sampleSum = withGram ? new double[width] : null;
    }

    private TensorStatistics(TensorStatistics o, float[] min, float[] max, double[] absSum, RowReservoir reservoir,
                             double[] gram, double[] sampleSum) {
        this.tensor = o.tensor;
        this.width = o.width;
        this.rows = o.rows;
        this.min = min;
        this.max = max;
        this.absSum = absSum;
        this.reservoir = reservoir;
        this.gram = gram;
        this.sampleSum = sampleSum;
        this.gramRows = o.gramRows;
    }

    /** Adds one batch: per-channel reductions over {@code batchRows} rows, and {@code sampled} rows (with their Gram). */
    public void accept(long batchRows, float[] batchMin, float[] batchMax, float[] batchAbsSum, float[] sampled,
                       int sampledRows, float[] sampledGram) {
        rows += batchRows;
        for (int c = 0; c < width; c++) {
            min[c] = Math.min(min[c], batchMin[c]);
            max[c] = Math.max(max[c], batchMax[c]);
            absSum[c] += batchAbsSum[c];
        }
        reservoir.offer(sampled, 0, sampledRows);
        if (gram != null) {
            if (sampledGram != null) {
                for (int i = 0; i < gram.length; i++) {
                    gram[i] += sampledGram[i];
                }
            } else {
                dev.qwm.quant.core.LinearAlgebra.accumulateGram(gram, sampled, sampledRows, width);
            }
            for (int r = 0; r < sampledRows; r++) {
                for (int c = 0; c < width; c++) {
                    sampleSum[c] += sampled[r * width + c];
                }
            }
            gramRows += sampledRows;
        }
    }

    /** Adds rows directly (tests, or activations captured outside a collector). */
    public void acceptRows(float[] x, int count) {
        float[] mn = new float[width];
        float[] mx = new float[width];
        float[] as = new float[width];
        Arrays.fill(mn, Float.POSITIVE_INFINITY);
        Arrays.fill(mx, Float.NEGATIVE_INFINITY);
        for (int r = 0; r < count; r++) {
            for (int c = 0; c < width; c++) {
                float v = x[r * width + c];
                mn[c] = Math.min(mn[c], v);
                mx[c] = Math.max(mx[c], v);
                as[c] += Math.abs(v);
            }
        }
        accept(count, mn, mx, as, x, count, null);
    }

    public String tensor() {
        return tensor;
    }

    public int width() {
        return width;
    }

    public long rows() {
        return rows;
    }

    public float min() {
        float m = Float.POSITIVE_INFINITY;
        for (float v : min) {
            m = Math.min(m, v);
        }
        return m;
    }

    public float max() {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : max) {
            m = Math.max(m, v);
        }
        return m;
    }

    public float[] channelMin() {
        return min.clone();
    }

    public float[] channelMax() {
        return max.clone();
    }

    /** max|x| per channel (SmoothQuant's activation scale). */
    public float[] channelAbsMax() {
        float[] a = new float[width];
        for (int c = 0; c < width; c++) {
            a[c] = Math.max(Math.abs(min[c]), Math.abs(max[c]));
        }
        return a;
    }

    /** mean|x| per channel (AWQ's activation scale); null after a shifted transform, which does not keep it. */
    public float[] channelMeanAbs() {
        if (absSum == null) {
            return null;
        }
        float[] m = new float[width];
        for (int c = 0; c < width; c++) {
            m[c] = rows == 0 ? 0 : (float) (absSum[c] / rows);
        }
        return m;
    }

    public boolean hasGram() {
        return gram != null && gramRows > 0;
    }

    /** Σ x xᵀ over the sampled rows (width×width row-major), or, without one, over the reservoir rows. */
    public double[] gram() {
        if (gram != null && gramRows > 0) {
            return gram.clone();
        }
        double[] h = new double[width * width];
        dev.qwm.quant.core.LinearAlgebra.accumulateGram(h, reservoir.rows(), reservoir.size(), width);
        return h;
    }

    public long gramRows() {
        return gram != null && gramRows > 0 ? gramRows : reservoir.size();
    }

    public float[] sampledRows() {
        return reservoir.rows();
    }

    public int sampledRowCount() {
        return reservoir.size();
    }

    /**
     * The statistics of X' = (X − shift) / scale (per channel, scale > 0): what a layer sees after an equivalent
     * transform folded into the op before it. Min, max, sampled rows and H are exact; Σ|x| survives only without shift.
     */
    public TensorStatistics transformed(float[] scale, float[] shift) {
        float[] nMin = new float[width];
        float[] nMax = new float[width];
        for (int c = 0; c < width; c++) {
            float d = shift == null ? 0 : shift[c];
            nMin[c] = (min[c] - d) / scale[c];
            nMax[c] = (max[c] - d) / scale[c];
        }
        double[] nAbs = null;
        if (shift == null) {
            nAbs = new double[width];
            for (int c = 0; c < width; c++) {
                nAbs[c] = absSum[c] / scale[c];
            }
        }
        RowReservoir nRes = new RowReservoir(width, Math.max(1, reservoir.size()), 0);
        float[] r = reservoir.rows();
        for (int i = 0; i < reservoir.size(); i++) {
            for (int c = 0; c < width; c++) {
                float d = shift == null ? 0 : shift[c];
                r[i * width + c] = (r[i * width + c] - d) / scale[c];
            }
        }
        nRes.offer(r, 0, reservoir.size());
        double[] nGram = null;
        double[] nSum = null;
        if (gram != null) {
            // H' = D (H − δ sᵀ − s δᵀ + n δ δᵀ) D with D = diag(1/scale), s = Σx over the same rows
            nGram = new double[width * width];
            nSum = new double[width];
            for (int i = 0; i < width; i++) {
                double di = shift == null ? 0 : shift[i];
                nSum[i] = (sampleSum[i] - gramRows * di) / scale[i];
                for (int j = 0; j < width; j++) {
                    double dj = shift == null ? 0 : shift[j];
                    double v = gram[i * width + j] - di * sampleSum[j] - sampleSum[i] * dj + gramRows * di * dj;
                    nGram[i * width + j] = v / (scale[i] * (double) scale[j]);
                }
            }
        }
        return new TensorStatistics(this, nMin, nMax, nAbs, nRes, nGram, nSum);
    }
}
