package dev.qwm.quant.core;

/** The few dense kernels the quantizers need, written so the JIT vectorizes their inner loops. */
public final class LinearAlgebra {

    private LinearAlgebra() {
    }

    /** y[rows×out] = x[rows×in] · Wᵀ for W out×in row-major (a linear layer without bias). */
    public static float[] linear(float[] x, int rows, int in, float[] wOutIn, int out) {
        float[] wt = transpose(wOutIn, out, in);
        float[] y = new float[rows * out];
        for (int r = 0; r < rows; r++) {
            int xb = r * in;
            int yb = r * out;
            for (int k = 0; k < in; k++) {
                float xv = x[xb + k];
                if (xv == 0f) {
                    continue;
                }
                int wb = k * out;
                for (int n = 0; n < out; n++) {
                    y[yb + n] += xv * wt[wb + n];
                }
            }
        }
        return y;
    }

    /** rows×cols → cols×rows. */
    public static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }

    /** H += Σ_r x_r x_rᵀ over the rows of x [rows×n] (upper and lower triangle both filled). */
    public static void accumulateGram(double[] h, float[] x, int rows, int n) {
        double[] row = new double[n];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < n; i++) {
                row[i] = x[r * n + i];
            }
            for (int i = 0; i < n; i++) {
                double xi = row[i];
                if (xi == 0) {
                    continue;
                }
                int hb = i * n;
                for (int j = 0; j < n; j++) {
                    h[hb + j] += xi * row[j];
                }
            }
        }
    }

    /** dᵀ H d for d of length n, H n×n row-major. */
    public static double quadraticForm(double[] h, double[] d, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            if (d[i] == 0) {
                continue;
            }
            double hi = 0;
            int hb = i * n;
            for (int j = 0; j < n; j++) {
                hi += h[hb + j] * d[j];
            }
            s += d[i] * hi;
        }
        return s;
    }
}
