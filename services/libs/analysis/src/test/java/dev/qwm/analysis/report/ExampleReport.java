package dev.qwm.analysis.report;

import dev.qwm.analysis.AnalysisInputs;
import dev.qwm.analysis.StudyAnalyzer;
import dev.qwm.analysis.StudyReport;
import dev.qwm.analysis.SyntheticStudy;
import dev.qwm.analysis.sensitivity.LayerSensitivity;
import dev.qwm.analysis.sensitivity.SensitivityIo;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.WeightSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The example report: the synthetic Wall study, synthetic drift, and two manifests written by the quantizer. */
final class ExampleReport {

    private ExampleReport() {
    }

    static StudyReport build() throws Exception {
        List<LayerSensitivity> layers = new ArrayList<>();
        for (String m : List.of("wall-w8a8.json", "wall-w4-gptq.json")) {
            layers.addAll(SensitivityIo.read(Path.of(ExampleReport.class.getResource("/manifests/" + m).toURI())));
        }
        AnalysisInputs inputs = new AnalysisInputs(SyntheticStudy.drift(SyntheticStudy.wallConfigs()), layers,
                Optional.of(new AnalysisInputs.MixedPrecisionRequest(WeightSpec.grouped(4, 128), WeightSpec.perChannel(8),
                        180_000, QuantMethod.RTN)), "synthetic outcomes (test fixture), manifests from the quantizer");
        return StudyAnalyzer.analyze(SyntheticStudy.wall(30), inputs);
    }
}
