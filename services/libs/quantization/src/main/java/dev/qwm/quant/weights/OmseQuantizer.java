package dev.qwm.quant.weights;

import dev.qwm.quant.core.GroupLayout;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.core.WeightRounding;
import dev.qwm.quant.recipe.MethodOptions;
import dev.qwm.quant.recipe.WeightSpec;

/**
 * OMSE (QuantWM's {@code omse} observer): for each output channel or group, the clipping ratio r from an even grid
 * in [minRatio, 1] whose scale r·minmax minimises the L2 error of the rounded weights. r = 1 is RTN, so OMSE's
 * weight error is never above RTN's.
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
                float best = WeightRounding.minMaxScale(absMax, spec);
                double bestErr = WeightRounding.roundingError(w, from, to, best, spec);
                for (double r : ratios) {
                    float s = WeightRounding.minMaxScale(absMax * r, spec);
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

    /** {@code count} ratios evenly spaced from {@code min} to 1 inclusive. */
    static double[] grid(double min, int count) {
        double[] r = new double[count];
        for (int i = 0; i < count; i++) {
            r[i] = count == 1 ? 1.0 : min + (1.0 - min) * i / (count - 1);
        }
        return r;
    }
}
