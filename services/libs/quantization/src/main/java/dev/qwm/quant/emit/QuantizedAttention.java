package dev.qwm.quant.emit;

import dev.qwm.onnx.graph.AttentionCores;
import dev.qwm.quant.core.ActivationParams;

/**
 * One attention core whose two activation products run as 8-bit integer products (recipe {@code attention: int8}):
 * q·kᵀ from {@code query} and {@code key} codes, probabilities·v from {@code probabilities} and {@code value} codes,
 * each input with one static uint8 (scale, zero point) from calibration.
 */
public record QuantizedAttention(AttentionCores.Core core, ActivationParams query, ActivationParams key,
                                 ActivationParams probabilities, ActivationParams value) {

    public QuantizedAttention {
        for (ActivationParams p : new ActivationParams[]{query, key, probabilities, value}) {
            if (p == null || p.bits() != 8) {
                throw new IllegalArgumentException("attention at '" + core.softmax() + "': int8 products need 8-bit "
                        + "parameters for q, k, the probabilities and v, got " + p);
            }
        }
    }

    /** What the core computes, for the manifest's numerics: equal lines, equal numbers. */
    public String numerics() {
        return core.softmax() + " attention int8 q " + describe(query) + " k " + describe(key) + " probabilities "
                + describe(probabilities) + " v " + describe(value)
                + (core.scaleNode() == null ? "" : " scores × " + core.scaleFactor() + " in the product's scale");
    }

    private static String describe(ActivationParams p) {
        return "(" + Float.floatToIntBits(p.scale()) + "/" + p.scale() + ", zp " + p.zeroPoint() + ")";
    }
}
