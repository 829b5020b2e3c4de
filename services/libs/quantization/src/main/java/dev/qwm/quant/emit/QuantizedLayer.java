package dev.qwm.quant.emit;

import dev.qwm.onnx.graph.LinearLayer;
import dev.qwm.quant.core.ActivationParams;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.recipe.ActivationSpec;

/**
 * Everything needed to write one quantized linear layer: its integer weights and how its input is quantized
 * ({@code staticParams} for per-tensor static activations, null otherwise).
 */
public record QuantizedLayer(LinearLayer layer, QuantizedWeights weights, ActivationSpec activations,
                             ActivationParams staticParams) {

    public QuantizedLayer {
        if (weights.out() != layer.outFeatures() || weights.in() != layer.inFeatures()) {
            throw new IllegalArgumentException("layer '" + layer.name() + "' is " + layer.outFeatures() + "x"
                    + layer.inFeatures() + " but its quantized weights are " + weights.out() + "x" + weights.in());
        }
        boolean needsStatic = !activations.isFloat() && activations.granularity() == ActivationSpec.Granularity.TENSOR;
        if (needsStatic && staticParams == null) {
            throw new IllegalArgumentException("layer '" + layer.name() + "': static " + activations
                    + " activations need calibrated parameters");
        }
        if (staticParams != null && staticParams.bits() != activations.bits()) {
            throw new IllegalArgumentException("layer '" + layer.name() + "': activation parameters are "
                    + staticParams.bits() + "-bit, the recipe asks " + activations.bits());
        }
    }
}
