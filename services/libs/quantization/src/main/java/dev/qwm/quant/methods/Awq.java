package dev.qwm.quant.methods;

import dev.qwm.quant.calib.TensorStatistics;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.recipe.MethodOptions;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.transform.AwqSearch;
import dev.qwm.quant.transform.GroupContext;
import dev.qwm.quant.transform.GroupDecision;
import dev.qwm.quant.transform.GroupObjective;
import dev.qwm.quant.weights.HessianClipSearch;

/** AWQ: activation-aware scales searched on the block output, then clipping on the layer-output error (needs H). */
final class Awq extends BlockSearchedMethod {

    @Override
    public QuantMethod id() {
        return QuantMethod.AWQ;
    }

    @Override
    public GroupDecision decide(GroupContext ctx, GroupObjective objective, MethodOptions options) {
        return AwqSearch.decide(ctx, objective, options.awq());
    }

    /** Outside a foldable group AWQ keeps its clipping search. */
    @Override
    public QuantizedWeights round(float[] w, int out, int in, WeightSpec spec, TensorStatistics stats, MethodOptions options) {
        return HessianClipSearch.search(w, out, in, spec, stats.gram(),
                HessianClipSearch.shrinkGrid(options.awq().clipSteps(), options.awq().clipStep()), 1);
    }
}
