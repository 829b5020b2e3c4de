package dev.qwm.quant.weights;

import dev.qwm.quant.core.GroupLayout;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.core.WeightRounding;
import dev.qwm.quant.recipe.MethodOptions;
import dev.qwm.quant.recipe.WeightSpec;

/**
 * OMSE as QuantWM's {@code omse} observer computes it: for each output channel or group, the clipping ratio r from an
 * even grid in [minRatio, 1] whose scale r·max|w| / qmax (qmax = 2^(b−1) − 1, e.g. 7 at 4 bits) minimises the L2
 * error of the rounded weights. RTN divides by (qmax − qmin)/2 = 7.5 instead, so OMSE's candidate steps span
 * [minRatio·7.5/7, 7.5/7] = [0.375, 1.071] × RTN's step at 4 bits (its r = 1 keeps +max|w| exactly representable),
 * and RTN's own step is not among them.
 */
public final class OmseQuantizer {

    private OmseQuantizer() {
    }

    public static QuantizedWeights quantize(float[] w, int out, int in, WeightSpec spec, MethodOptions.Omse options) {
        GroupLayout l = new GroupLayout(in, spec.groupSize());
        int gpr = l.groupsPerRow();
        double[] ratios = grid(options.minRatio(), options.ratios());
        float[] scales = new float[out * gpr];
        for (int n = 0; n < out; n++) {
            for (int g = 0; g < gpr; g++) {
                int from = n * in + l.start(g);
                int to = n * in + l.end(g);
                float absMax = WeightRounding.absMax(w, from, to);
                float best = 1f;
                double bestErr = Double.POSITIVE_INFINITY;
                for (double r : ratios) {
                    float s = candidate(absMax, r, spec);
                    double e = WeightRounding.roundingError(w, from, to, s, spec);
                    if (e < bestErr) {
                        bestErr = e;
                        best = s;
                    }
                }
                scales[n * gpr + g] = best;
            }
        }
        return WeightRounding.withScales(w, out, in, spec, scales);
    }

    /** QuantWM's candidate scale r·max|w| / qmax; 1 for an all-zero group (any scale rounds it exactly). */
    public static float candidate(double absMax, double ratio, WeightSpec spec) {
        float s = (float) (absMax * ratio / spec.qmax());
        return s > 0 && Float.isFinite(s) ? s : 1f;
    }

    /** {@code count} ratios evenly spaced from {@code min} to 1 inclusive. */
    static double[] grid(double min, int count) {
        double[] r = new double[count];
        for (int i = 0; i < count; i++) {
            r[i] = count == 1 ? 1.0 : min + (1.0 - min) * i / (count - 1);
        }
        return r;
    }
}
