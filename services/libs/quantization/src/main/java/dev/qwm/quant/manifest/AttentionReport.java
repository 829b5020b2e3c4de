package dev.qwm.quant.manifest;

import dev.qwm.quant.core.ActivationParams;
import dev.qwm.quant.emit.QuantizedAttention;

/**
 * One attention core whose products a recipe runs in int8 ({@code attention: int8}): where it is, and the static uint8
 * parameters of the four tensors its two products read, fixed by calibration.
 *
 * @param softmax       the core's Softmax node
 * @param masked        whether the scores are masked (an additive mask before the Softmax, kept as it was)
 * @param kernel        what runs the two products
 * @param query         q's parameters (scale, zero point), and so on for kᵀ, the probabilities and v
 */
public record AttentionReport(String softmax, boolean masked, String kernel, ActivationParams query, ActivationParams key,
                              ActivationParams probabilities, ActivationParams value, String numerics) {

    public static final String KERNEL = "MatMulIntegerToFloat u8×u8 (int32 sums, exact on every CPU)";

    public static AttentionReport of(QuantizedAttention a) {
        return new AttentionReport(a.core().softmax(), a.core().masked(), KERNEL, a.query(), a.key(), a.probabilities(),
                a.value(), a.numerics());
    }
}
