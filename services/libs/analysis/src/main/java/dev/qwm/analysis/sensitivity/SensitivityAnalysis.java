package dev.qwm.analysis.sensitivity;

import dev.qwm.analysis.table.ResultTable;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Per-layer sensitivity: for each module, its layers ranked from the most sensitive (lowest output SQNR when
 * quantized alone) at the lowest weight format measured, and optionally a mixed-precision suggestion.
 */
public final class SensitivityAnalysis {

    private final List<LayerSensitivity> measurements;
    private final Map<String, List<LayerSensitivity>> ranked;
    private final Optional<MixedPrecisionPlanner.Suggestion> suggestion;

    public SensitivityAnalysis(List<LayerSensitivity> measurements, Optional<MixedPrecisionPlanner.Suggestion> suggestion) {
        this.measurements = List.copyOf(measurements);
        this.suggestion = suggestion;
        Map<String, List<LayerSensitivity>> byModule = new LinkedHashMap<>();
        for (LayerSensitivity s : measurements) {
            byModule.computeIfAbsent(s.module(), m -> new ArrayList<>()).add(s);
        }
        Map<String, List<LayerSensitivity>> out = new LinkedHashMap<>();
        for (var e : byModule.entrySet()) {
            int lowest = e.getValue().stream().mapToInt(LayerSensitivity::weightBits).min().orElseThrow();
            out.put(e.getKey(), e.getValue().stream()
                    .filter(s -> s.weightBits() == lowest && !Double.isNaN(s.outputSqnrDb()))
                    .sorted(Comparator.comparingDouble(LayerSensitivity::outputSqnrDb).thenComparing(LayerSensitivity::layer))
                    .toList());
        }
        this.ranked = out;
    }

    public boolean isEmpty() {
        return measurements.isEmpty();
    }

    /** Module → layers, most sensitive first. */
    public Map<String, List<LayerSensitivity>> ranked() {
        return ranked;
    }

    public Optional<MixedPrecisionPlanner.Suggestion> suggestion() {
        return suggestion;
    }

    public ResultTable rankingTable() {
        ResultTable.Builder t = ResultTable.builder("layer-sensitivity", "Layer sensitivity")
                .caption("Each linear layer quantized alone (its float input, its quantized weights), from the quantizer's "
                        + "manifests: output SQNR and MSE against the float layer on calibration rows. Rank 1 is the most "
                        + "sensitive layer of its module at its lowest measured weight format.")
                .text("module").integer("rank").text("layer").text("shape").text("method").text("weights")
                .text("activations").decimal("SQNR dB", 1).decimal("output MSE", 6);
        for (var e : ranked.entrySet()) {
            int rank = 1;
            for (LayerSensitivity s : e.getValue()) {
                t.row(e.getKey(), rank++, s.layer(), s.inFeatures() + "→" + s.outFeatures(), s.method(), s.weightFormat(),
                        s.activations(), s.outputSqnrDb(), Double.isNaN(s.outputMse()) ? null : s.outputMse());
            }
        }
        return t.build();
    }

    public Optional<ResultTable> suggestionTable() {
        return suggestion.map(s -> {
            ResultTable.Builder t = ResultTable.builder("mixed-precision", "Mixed-precision suggestion")
                    .caption(String.format(java.util.Locale.ROOT, "Layers kept at the higher format under a budget of "
                                    + "%,d bytes of linear-layer weights (all low: %,d; all high: %,d; this: %,d). Noise: "
                                    + "summed relative output noise power 10^(−SQNR/10), all low %.4g → %.4g (all high %.4g).",
                            s.budgetBytes(), s.allLowBytes(), s.allHighBytes(), s.bytes(), s.allLowNoise(), s.noise(),
                            s.allHighNoise()))
                    .text("module").text("layer").integer("bytes low").integer("bytes high").decimal("noise low", 6)
                    .decimal("noise high", 6).text("measured");
            for (MixedPrecisionPlanner.LayerChoice c : s.promoted()) {
                t.row(c.module(), c.layer(), c.lowBytes(), c.highBytes(), c.lowNoise(), c.highNoise(),
                        c.estimated() ? "one format (other estimated)" : "both formats");
            }
            return t.build();
        });
    }
}
