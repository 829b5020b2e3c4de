package dev.qwm.analysis;

import dev.qwm.analysis.alignment.AlignmentAnalysis;
import dev.qwm.analysis.cost.CostAnalysis;
import dev.qwm.analysis.data.EpisodeTrace;
import dev.qwm.analysis.data.StudyData;
import dev.qwm.analysis.drift.DriftAnalysis;
import dev.qwm.analysis.sensitivity.MixedPrecisionPlanner;
import dev.qwm.analysis.sensitivity.SensitivityAnalysis;
import dev.qwm.analysis.study.StudyConditions;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** Computes a {@link StudyReport} from a study's data and the optional drift and sensitivity inputs. */
public final class StudyAnalyzer {

    private StudyAnalyzer() {
    }

    public static StudyReport analyze(StudyData data, AnalysisInputs inputs) {
        StudyConditions conditions = StudyConditions.of(data);
        Map<Integer, EpisodeTrace> traces = data.traces();
        AlignmentAnalysis alignment = AlignmentAnalysis.of(conditions, traces);
        DriftAnalysis drift = DriftAnalysis.of(conditions, inputs.drift());
        Optional<MixedPrecisionPlanner.Suggestion> suggestion = inputs.mixedPrecision().map(r -> {
            if (inputs.layers().isEmpty()) {
                throw new IllegalArgumentException("a mixed-precision suggestion needs per-layer sensitivities "
                        + "(quantizer manifests)");
            }
            return MixedPrecisionPlanner.suggest(inputs.layers(), r.low(), r.high(), r.budgetBytes(), r.method());
        });
        SensitivityAnalysis sensitivity = new SensitivityAnalysis(inputs.layers(), suggestion);
        return new StudyReport(data.study(), inputs.source(), Instant.now(), data.episodes().size(), traces.size(),
                conditions, alignment, drift, sensitivity, CostAnalysis.of(conditions));
    }
}
