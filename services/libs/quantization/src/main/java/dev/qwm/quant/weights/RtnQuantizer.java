package dev.qwm.quant.weights;

import dev.qwm.quant.core.GroupLayout;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.core.WeightRounding;
import dev.qwm.quant.recipe.WeightSpec;

/** Round to nearest with min-max scales per output channel or group (QuantWM's {@code minmax}); data-free. */
public final class RtnQuantizer {

    private RtnQuantizer() {
    }

    public static QuantizedWeights quantize(float[] w, int out, int in, WeightSpec spec) {
        return WeightRounding.withScales(w, out, in, spec, minMaxScales(w, out, in, spec));
    }

    /** The min-max scale of every (row, group). */
    public static float[] minMaxScales(float[] w, int out, int in, WeightSpec spec) {
        GroupLayout l = new GroupLayout(in, spec.groupSize());
        int gpr = l.groupsPerRow();
        float[] scales = new float[out * gpr];
        for (int n = 0; n < out; n++) {
            for (int g = 0; g < gpr; g++) {
                scales[n * gpr + g] = WeightRounding.minMaxScale(
                        WeightRounding.absMax(w, n * in + l.start(g), n * in + l.end(g)), spec);
            }
        }
        return scales;
    }
}
