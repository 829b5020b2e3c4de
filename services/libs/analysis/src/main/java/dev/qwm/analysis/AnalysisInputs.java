package dev.qwm.analysis;

import dev.qwm.analysis.drift.RolloutDrift;
import dev.qwm.analysis.sensitivity.LayerSensitivity;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.WeightSpec;

import java.util.List;
import java.util.Optional;

/**
 * What the analysis takes besides the study's own data: rollout drift curves and per-layer sensitivities (measured by
 * the quantizer or planning side), and an optional mixed-precision request.
 *
 * @param source where the study data came from, for the report's header (e.g. the collector URL)
 */
public record AnalysisInputs(List<RolloutDrift> drift, List<LayerSensitivity> layers,
                             Optional<MixedPrecisionRequest> mixedPrecision, String source) {

    public AnalysisInputs {
        drift = drift == null ? List.of() : List.copyOf(drift);
        layers = layers == null ? List.of() : List.copyOf(layers);
        mixedPrecision = mixedPrecision == null ? Optional.empty() : mixedPrecision;
        source = source == null ? "" : source;
    }

    public static AnalysisInputs none(String source) {
        return new AnalysisInputs(List.of(), List.of(), Optional.empty(), source);
    }

    /** Keep the most sensitive layers at {@code high} and the rest at {@code low}, within {@code budgetBytes}. */
    public record MixedPrecisionRequest(WeightSpec low, WeightSpec high, long budgetBytes, QuantMethod method) {
    }
}
