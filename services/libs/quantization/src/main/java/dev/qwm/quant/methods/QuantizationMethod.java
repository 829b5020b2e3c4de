package dev.qwm.quant.methods;

import dev.qwm.quant.calib.TensorStatistics;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.recipe.MethodOptions;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.transform.GroupContext;
import dev.qwm.quant.transform.GroupDecision;
import dev.qwm.quant.transform.GroupObjective;

/**
 * One quantization method: the calibration it needs, the input transform it decides for the layers reading one
 * LayerNorm, and how it rounds a layer's weights. Found by its {@link QuantMethod} through {@link Methods}; adding a
 * method is one class (and its tests). Whether a method needs calibration even for weight-only recipes is a property
 * of its {@link QuantMethod} (recipes are checked before any graph is read).
 */
public interface QuantizationMethod {

    /** How a method treats the LayerNorm groups of the layers it quantizes. */
    enum Transform {
        /** No input transform. */
        NONE,
        /** A transform computed from calibration statistics alone. */
        FROM_STATISTICS,
        /** A transform searched on the block output: needs block snapshots from calibration. */
        SEARCHED_ON_BLOCK_OUTPUT
    }

    QuantMethod id();

    /** Whether calibration must collect the Gram matrix XᵀX of this layer's input. */
    default boolean needsGram(MethodOptions options) {
        return false;
    }

    default Transform transform() {
        return Transform.NONE;
    }

    /**
     * The transform (and any weights chosen with it) for one foldable LayerNorm group.
     *
     * @param objective the block-output objective for {@link Transform#SEARCHED_ON_BLOCK_OUTPUT}, else null
     */
    default GroupDecision decide(GroupContext ctx, GroupObjective objective, MethodOptions options) {
        throw new IllegalStateException(id().id() + " decides no input transform");
    }

    /** The integer weights of one layer (out×in, after any transform), with its input's calibration statistics. */
    QuantizedWeights round(float[] w, int out, int in, WeightSpec spec, TensorStatistics stats, MethodOptions options);
}
