package dev.qwm.quant.transform;

import dev.qwm.quant.core.ActivationParams;

import java.util.Map;

/**
 * One configuration of a layer group to judge: the input transform with the LayerNorm's γ and β it gives, and, per layer, the weights it would run
 * with (dequantized, out×in), its bias and, for static activations, the input's quantization parameters.
 */
public record GroupCandidate(EquivalentTransform transform, float[] gamma, float[] beta, Map<String, LayerCandidate> layers) {

    public record LayerCandidate(float[] weightsOutIn, float[] bias, ActivationParams staticParams) {
    }
}
