package dev.qwm.quant.methods;

import dev.qwm.quant.calib.TensorStatistics;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.recipe.MethodOptions;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.weights.OmseQuantizer;

/** Per channel/group clip ratio minimising the weight L2 error: no data, no transform. */
final class Omse implements QuantizationMethod {

    @Override
    public QuantMethod id() {
        return QuantMethod.OMSE;
    }

    @Override
    public QuantizedWeights round(float[] w, int out, int in, WeightSpec spec, TensorStatistics stats, MethodOptions options) {
        return OmseQuantizer.quantize(w, out, in, spec, options.omse());
    }
}
