package dev.qwm.quant.transform;

import dev.qwm.quant.core.QuantizedWeights;

import java.util.Map;

/**
 * What a transform method decided for a layer group: the input transform to fold, and, when the method also chose
 * the weights (AWQ's clipping, OmniQuant's learned clipping), the quantized weights per layer name.
 *
 * @param baselineError objective with no transform and min-max rounding (NaN when not measured)
 * @param error         objective with the decision (NaN when not measured)
 * @param detail        the chosen parameters, for the manifest
 */
public record GroupDecision(EquivalentTransform transform, Map<String, QuantizedWeights> weights, double baselineError,
                            double error, String objective, String detail) {
}
