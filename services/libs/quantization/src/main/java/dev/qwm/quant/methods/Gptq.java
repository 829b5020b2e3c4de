package dev.qwm.quant.methods;

import dev.qwm.quant.calib.TensorStatistics;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.recipe.MethodOptions;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.weights.GptqQuantizer;

/** Hessian-based error compensation: needs H = XᵀX of each layer's input; no transform. */
final class Gptq implements QuantizationMethod {

    @Override
    public QuantMethod id() {
        return QuantMethod.GPTQ;
    }

    @Override
    public boolean needsGram(MethodOptions options) {
        return true;
    }

    @Override
    public QuantizedWeights round(float[] w, int out, int in, WeightSpec spec, TensorStatistics stats, MethodOptions options) {
        return GptqQuantizer.quantize(w, out, in, spec, stats.gram(), options.gptq());
    }
}
