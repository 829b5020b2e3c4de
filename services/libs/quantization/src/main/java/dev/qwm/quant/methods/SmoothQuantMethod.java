package dev.qwm.quant.methods;

import dev.qwm.quant.calib.TensorStatistics;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.recipe.MethodOptions;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.transform.GroupContext;
import dev.qwm.quant.transform.GroupDecision;
import dev.qwm.quant.transform.GroupObjective;
import dev.qwm.quant.transform.SmoothQuant;

/**
 * SmoothQuant: the smoothing transform from activation and weight maxima (statistics only), then the weights by the
 * method its options name (RTN, OMSE or GPTQ).
 */
final class SmoothQuantMethod implements QuantizationMethod {

    @Override
    public QuantMethod id() {
        return QuantMethod.SMOOTHQUANT;
    }

    @Override
    public boolean needsGram(MethodOptions options) {
        return Methods.of(options.smoothquant().weights()).needsGram(options);
    }

    @Override
    public Transform transform() {
        return Transform.FROM_STATISTICS;
    }

    @Override
    public GroupDecision decide(GroupContext ctx, GroupObjective objective, MethodOptions options) {
        return SmoothQuant.decide(ctx, options.smoothquant().alpha());
    }

    @Override
    public QuantizedWeights round(float[] w, int out, int in, WeightSpec spec, TensorStatistics stats, MethodOptions options) {
        return Methods.of(options.smoothquant().weights()).round(w, out, in, spec, stats, options);
    }
}
