package dev.qwm.quant.methods;

import dev.qwm.quant.recipe.MethodOptions;

/**
 * A method whose per-channel input transform is searched on the transformer block's output and whose weights are
 * then clipped on the layer-output error, so it needs each input's Gram matrix H (AWQ and OmniQuant differ only in
 * their searches).
 */
abstract class BlockSearchedMethod implements QuantizationMethod {

    @Override
    public final boolean needsGram(MethodOptions options) {
        return true;
    }

    @Override
    public final Transform transform() {
        return Transform.SEARCHED_ON_BLOCK_OUTPUT;
    }
}
