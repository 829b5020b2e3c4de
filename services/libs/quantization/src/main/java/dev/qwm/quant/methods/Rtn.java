package dev.qwm.quant.methods;

import dev.qwm.quant.calib.TensorStatistics;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.recipe.MethodOptions;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.weights.RtnQuantizer;

/** Round to nearest with min-max scales: no data, no transform. */
final class Rtn implements QuantizationMethod {

    @Override
    public QuantMethod id() {
        return QuantMethod.RTN;
    }

    @Override
    public QuantizedWeights round(float[] w, int out, int in, WeightSpec spec, TensorStatistics stats, MethodOptions options) {
        return RtnQuantizer.quantize(w, out, in, spec);
    }
}
