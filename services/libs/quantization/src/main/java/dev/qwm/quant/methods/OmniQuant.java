package dev.qwm.quant.methods;

import dev.qwm.quant.calib.TensorStatistics;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.recipe.MethodOptions;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.transform.GroupContext;
import dev.qwm.quant.transform.GroupDecision;
import dev.qwm.quant.transform.GroupObjective;
import dev.qwm.quant.transform.OmniQuantSearch;
import dev.qwm.quant.weights.HessianClipSearch;

/** OmniQuant (gradient-free): LET searched on the block output and LWC on the layer-output error (needs H). */
final class OmniQuant extends BlockSearchedMethod {

    @Override
    public QuantMethod id() {
        return QuantMethod.OMNIQUANT;
    }

    @Override
    public GroupDecision decide(GroupContext ctx, GroupObjective objective, MethodOptions options) {
        return OmniQuantSearch.decide(ctx, objective, options.omniquant());
    }

    /** Outside a foldable group OmniQuant keeps its weight-clipping search. */
    @Override
    public QuantizedWeights round(float[] w, int out, int in, WeightSpec spec, TensorStatistics stats, MethodOptions options) {
        return HessianClipSearch.search(w, out, in, spec, stats.gram(),
                HessianClipSearch.evenGrid(options.omniquant().minClip(), options.omniquant().clipGrid()), 2);
    }
}
