package dev.qwm.analysis.report;

import dev.qwm.analysis.AnalysisInputs;
import dev.qwm.analysis.StudyAnalyzer;
import dev.qwm.analysis.StudyReport;
import dev.qwm.analysis.SyntheticStudy;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

class HtmlReportTest {

    @Test
    void scratch() throws Exception {
        StudyReport report = StudyAnalyzer.analyze(SyntheticStudy.wall(30), AnalysisInputs.none("synthetic"));
        Path dir = Path.of("target/scratch-report");
        ReportWriter.writeHtml(report, dir);
        ReportWriter.printText(report, System.out);
        System.out.println(Files.size(dir.resolve("index.html")));
    }
}
