package dev.qwm.quant.weights;

import dev.qwm.quant.core.GroupLayout;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.core.WeightRounding;
import dev.qwm.quant.recipe.MethodOptions;
import dev.qwm.quant.recipe.WeightSpec;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.ejml.interfaces.linsol.LinearSolverDense;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * GPTQ (Frantar et al., "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers", 2022):
 * quantizes the input columns one at a time and spreads each column's rounding error over the columns not yet
 * quantized, weighted by the inverse Hessian of the layer's output error, H = XᵀX over calibration inputs.
 * As in the reference implementation: columns whose input is always zero are dropped, H is damped by
 * {@code damp}·mean(diag H), the upper Cholesky factor of H⁻¹ drives the updates, updates are applied lazily in
 * blocks of {@code blockSize} columns, and with {@code actOrder} columns go in order of decreasing H_ii, using
 * group scales fixed from the unquantized weights (the reference's static groups) so that each group keeps one scale.
 * Without act-order, a group's scale is taken from its (already error-compensated) weights when its first column
 * comes up, and a short last group is handled like any other.
 */
public final class GptqQuantizer {

    private GptqQuantizer() {
    }

    /**
     * @param w       out×in weights
     * @param hessian in×in Σ x xᵀ over calibration rows (any positive multiple gives the same result)
     */
    public static QuantizedWeights quantize(float[] w, int out, int in, WeightSpec spec, double[] hessian,
                                            MethodOptions.Gptq options) {
        if (hessian.length != in * in) {
            throw new IllegalArgumentException("Hessian has " + hessian.length + " entries, expected " + in + "x" + in);
        }
        GroupLayout layout = new GroupLayout(in, spec.groupSize());
        int gpr = layout.groupsPerRow();
        double[] h = hessian.clone();
        double[] wd = new double[out * in];
        for (int i = 0; i < wd.length; i++) {
            wd[i] = w[i];
        }
        float[] wDead = w.clone();
        for (int c = 0; c < in; c++) {
            if (h[c * in + c] == 0) {
                h[c * in + c] = 1;
                for (int n = 0; n < out; n++) {
                    wd[n * in + c] = 0;
                    wDead[n * in + c] = 0;
                }
            }
        }
        int[] perm = IntStream.range(0, in).toArray();
        if (options.actOrder()) {
            final double[] hh = h;
            perm = IntStream.range(0, in).boxed()
                    .sorted(Comparator.comparingDouble((Integer c) -> -hh[c * in + c]).thenComparingInt(c -> c))
                    .mapToInt(Integer::intValue).toArray();
            h = permuteSymmetric(h, in, perm);
            wd = permuteColumns(wd, out, in, perm);
        }
        double[] u = upperCholeskyOfInverse(h, in, options.damp());

        float[] scales = new float[out * gpr];
        boolean staticGroups = options.actOrder() || spec.perChannel();
        if (staticGroups) {
            // Per channel, or act-order groups: scales from the unquantized weights, one per (row, group).
            float[] s = RtnQuantizer.minMaxScales(wDead, out, in, spec);
            System.arraycopy(s, 0, scales, 0, s.length);
        }
        int block = options.blockSize();
        if (!staticGroups) {
            // Keep groups inside blocks so a group's scale sees all the updates that precede it.
            int g = layout.length();
            block = Math.max(g, (block + g - 1) / g * g);
        }

        byte[] codesPerm = new byte[out * in];
        double[] err = new double[out * block];
        for (int i1 = 0; i1 < in; i1 += block) {
            int i2 = Math.min(in, i1 + block);
            int count = i2 - i1;
            Arrays.fill(err, 0);
            for (int i = 0; i < count; i++) {
                int col = i1 + i;
                int orig = perm[col];
                int group = layout.groupOf(orig);
                if (!staticGroups && orig == layout.start(group)) {
                    for (int n = 0; n < out; n++) {
                        double m = 0;
                        for (int k = layout.start(group); k < layout.end(group); k++) {
                            m = Math.max(m, Math.abs(wd[n * in + k]));
                        }
                        scales[n * gpr + group] = WeightRounding.minMaxScale(m, spec);
                    }
                }
                double d = u[col * in + col];
                for (int n = 0; n < out; n++) {
                    float s = scales[n * gpr + group];
                    double wv = wd[n * in + col];
                    int q = WeightRounding.code((float) wv, s, spec);
                    codesPerm[n * in + col] = (byte) q;
                    double e = (wv - (double) q * s) / d;
                    err[n * block + i] = e;
                    // update the rest of this block now
                    int rb = n * in;
                    int ub = col * in;
                    for (int j = col + 1; j < i2; j++) {
                        wd[rb + j] -= e * u[ub + j];
                    }
                }
            }
            // lazy update of the columns after this block: W[:, i2:] -= Err · U[i1:i2, i2:]
            if (i2 < in) {
                for (int n = 0; n < out; n++) {
                    int rb = n * in;
                    for (int i = 0; i < count; i++) {
                        double e = err[n * block + i];
                        if (e == 0) {
                            continue;
                        }
                        int ub = (i1 + i) * in;
                        for (int j = i2; j < in; j++) {
                            wd[rb + j] -= e * u[ub + j];
                        }
                    }
                }
            }
        }
        byte[] codes = new byte[out * in];
        for (int n = 0; n < out; n++) {
            for (int c = 0; c < in; c++) {
                codes[n * in + perm[c]] = codesPerm[n * in + c];
            }
        }
        return new QuantizedWeights(out, in, spec, codes, scales);
    }

    /**
     * U upper-triangular with UᵀU = (H + λI)⁻¹, λ = damp·mean(diag H). If H is too ill-conditioned for a Cholesky
     * factorisation, the damping grows tenfold until it succeeds.
     */
    static double[] upperCholeskyOfInverse(double[] h, int n, double damp) {
        double mean = 0;
        for (int i = 0; i < n; i++) {
            mean += h[i * n + i];
        }
        mean /= n;
        double lambda = damp * mean;
        for (int attempt = 0; attempt < 8; attempt++, lambda *= 10) {
            DMatrixRMaj m = new DMatrixRMaj(n, n);
            System.arraycopy(h, 0, m.data, 0, n * n);
            for (int i = 0; i < n; i++) {
                m.data[i * n + i] += lambda;
            }
            LinearSolverDense<DMatrixRMaj> solver = LinearSolverFactory_DDRM.chol(n);
            if (!solver.setA(m)) {
                continue;
            }
            DMatrixRMaj inv = new DMatrixRMaj(n, n);
            solver.invert(inv);
            CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(n, false);
            if (!chol.decompose(inv)) {
                continue;
            }
            DMatrixRMaj upper = chol.getT(null);
            boolean finite = true;
            for (double v : upper.data) {
                if (!Double.isFinite(v)) {
                    finite = false;
                    break;
                }
            }
            if (finite) {
                return upper.data;
            }
        }
        throw new IllegalStateException("GPTQ: the Hessian is not positive definite even with heavy damping "
                + "(are the calibration activations all NaN or constant?)");
    }

    private static double[] permuteSymmetric(double[] h, int n, int[] perm) {
        double[] p = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                p[i * n + j] = h[perm[i] * n + perm[j]];
            }
        }
        return p;
    }

    private static double[] permuteColumns(double[] w, int rows, int cols, int[] perm) {
        double[] p = new double[w.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                p[r * cols + c] = w[r * cols + perm[c]];
            }
        }
        return p;
    }
}
