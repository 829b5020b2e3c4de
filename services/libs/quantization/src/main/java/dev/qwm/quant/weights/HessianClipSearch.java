package dev.qwm.quant.weights;

import dev.qwm.quant.core.GroupLayout;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.core.WeightRounding;
import dev.qwm.quant.recipe.WeightSpec;

/**
 * Weight clipping chosen on the layer's output rather than its weights: for output channel n the output error over
 * the calibration rows X is ‖X (w_n − ŵ_n)‖² = Δ_nᵀ H Δ_n with H = XᵀX, so the search needs H, not the rows.
 * Each (channel, group) picks the clip ratio of {@code ratios} minimising that error, by coordinate descent over the
 * groups of a channel (cross-group terms included). Used by AWQ's clip search and OmniQuant's weight clipping.
 */
public final class HessianClipSearch {

    private HessianClipSearch() {
    }

    /**
     * @param w       out×in weights (already transformed, if a transform applies)
     * @param hessian in×in XᵀX of the layer's (transformed) input
     * @param ratios  candidate clip ratios of max|w| (1 = no clipping)
     * @param sweeps  coordinate-descent passes over the groups (1 suffices per channel)
     */
    public static QuantizedWeights search(float[] w, int out, int in, WeightSpec spec, double[] hessian, double[] ratios,
                                          int sweeps) {
        return WeightRounding.withRatios(w, out, in, spec, searchRatios(w, out, in, spec, hessian, ratios, sweeps));
    }

    /** The chosen clip ratio of every (row, group), {@code [out · groupsPerRow]}. */
    public static float[] searchRatios(float[] w, int out, int in, WeightSpec spec, double[] hessian, double[] ratios,
                                       int sweeps) {
        GroupLayout l = new GroupLayout(in, spec.groupSize());
        int gpr = l.groupsPerRow();
        float[] scales = RtnQuantizer.minMaxScales(w, out, in, spec);
        float[] chosen = new float[out * gpr];
        java.util.Arrays.fill(chosen, 1f);
        float[] absMax = new float[out * gpr];
        for (int n = 0; n < out; n++) {
            for (int g = 0; g < gpr; g++) {
                absMax[n * gpr + g] = WeightRounding.absMax(w, n * in + l.start(g), n * in + l.end(g));
            }
        }
        double[] delta = new double[in];
        double[] hDelta = new double[in];
        for (int n = 0; n < out; n++) {
            int rowBase = n * in;
            // Δ = w − ŵ at the current scales, and HΔ, kept up to date as groups change.
            for (int k = 0; k < in; k++) {
                float s = scales[n * gpr + l.groupOf(k)];
                delta[k] = w[rowBase + k] - WeightRounding.code(w[rowBase + k], s, spec) * s;
            }
            multiply(hessian, delta, hDelta, in);
            for (int sweep = 0; sweep < sweeps; sweep++) {
                for (int g = 0; g < gpr; g++) {
                    int from = l.start(g);
                    int to = l.end(g);
                    int len = to - from;
                    double[] old = new double[len];
                    System.arraycopy(delta, from, old, 0, len);
                    double bestGain = 0;
                    float bestScale = scales[n * gpr + g];
                    double bestRatio = chosen[n * gpr + g];
                    double[] cand = new double[len];
                    for (double r0 : ratios) {
                        double r = (float) r0; // stored as float: the same scale when re-applied (withRatios)
                        float s = WeightRounding.minMaxScale(absMax[n * gpr + g] * r, spec);
                        if (s == scales[n * gpr + g]) {
                            continue;
                        }
                        for (int k = 0; k < len; k++) {
                            float wv = w[rowBase + from + k];
                            cand[k] = wv - WeightRounding.code(wv, s, spec) * s;
                        }
                        // change of Δᵀ H Δ when the group's slice goes old → cand:
                        // 2·dᵀ(HΔ)_g + dᵀ H_gg d with d = cand − old
                        double gain = 0;
                        for (int i = 0; i < len; i++) {
                            double di = cand[i] - old[i];
                            if (di == 0) {
                                continue;
                            }
                            double hd = 0;
                            int hb = (from + i) * in + from;
                            for (int j = 0; j < len; j++) {
                                hd += hessian[hb + j] * (cand[j] - old[j]);
                            }
                            gain += 2 * di * hDelta[from + i] + di * hd;
                        }
                        if (gain < bestGain) {
                            bestGain = gain;
                            bestScale = s;
                            bestRatio = r;
                        }
                    }
                    if (bestScale != scales[n * gpr + g]) {
                        scales[n * gpr + g] = bestScale;
                        chosen[n * gpr + g] = (float) bestRatio;
                        for (int k = 0; k < len; k++) {
                            float wv = w[rowBase + from + k];
                            delta[from + k] = wv - WeightRounding.code(wv, bestScale, spec) * bestScale;
                        }
                        // update HΔ for the changed slice
                        for (int i = 0; i < in; i++) {
                            double acc = 0;
                            int hb = i * in + from;
                            for (int k = 0; k < len; k++) {
                                acc += hessian[hb + k] * (delta[from + k] - old[k]);
                            }
                            hDelta[i] += acc;
                        }
                    }
                }
            }
        }
        return chosen;
    }

    /** Ratios 1, 1 − step, …, 1 − (count−1)·step (AWQ's auto_clip grid with step 1/20, count 10). */
    public static double[] shrinkGrid(int count, double step) {
        double[] r = new double[count];
        for (int i = 0; i < count; i++) {
            r[i] = 1 - i * step;
        }
        return r;
    }

    /** {@code count} ratios from {@code min} to 1. */
    public static double[] evenGrid(double min, int count) {
        return OmseQuantizer.grid(min, count);
    }

    private static void multiply(double[] h, double[] v, double[] out, int n) {
        for (int i = 0; i < n; i++) {
            double s = 0;
            int hb = i * n;
            for (int j = 0; j < n; j++) {
                s += h[hb + j] * v[j];
            }
            out[i] = s;
        }
    }
}
