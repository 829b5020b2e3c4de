package dev.qwm.analysis.report;

import dev.qwm.analysis.StudyReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HtmlReportTest {

    static StudyReport report;
    static String html;

    @BeforeAll
    static void render() throws Exception {
        report = ExampleReport.build();
        html = HtmlReport.render(report);
    }

    @Test
    void failedEpisodesAreNamedWithTheirReasonsNotDropped() {
        assertFalse(html.contains("id=\"failed\""), "no section when every episode was planned");
        var s = report.study();
        var failures = List.of(
                new dev.qwm.analysis.data.StudyInfo.FailedEpisode(3, "w4a16", "refused by the predictor service: horizon 300 exceeds 256"),
                new dev.qwm.analysis.data.StudyInfo.FailedEpisode(7, "w4a16", "refused by the predictor service: horizon 300 exceeds 256"),
                new dev.qwm.analysis.data.StudyInfo.FailedEpisode(9, "fp", "episode seed is negative"));
        StudyReport failing = new StudyReport(new dev.qwm.analysis.data.StudyInfo(s.id(), s.name(), s.specJson(),
                s.episodeCount() + 3, s.completedCount(), s.successCount(), s.submittedAtUnixMs(), failures),
                report.source(), report.generatedAt(), report.episodes(), report.traced(), report.conditions(),
                report.alignment(), report.drift(), report.sensitivity(), report.cost());
        String page = HtmlReport.render(failing);
        assertTrue(page.contains("<a href=\"#failed\">Failed episodes</a>"), "in the contents");
        assertTrue(page.contains("3 failed (not planned)"), "in the header line");
        assertTrue(page.contains("2 episodes (index 3, 7) w4a16: refused by the predictor service: horizon 300 exceeds 256"),
                "grouped by configuration and reason");
        assertTrue(page.contains("1 episode (index 9) fp: episode seed is negative"));
        assertTrue(failing.findings().get(0).startsWith("3 of " + (s.episodeCount() + 3) + " episodes could not be planned"),
                failing.findings().get(0));
    }

    @Test
    void isSelfContained() {
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertFalse(html.contains("<script"), "no script");
        assertFalse(Pattern.compile("\\b(src|href)\\s*=\\s*[\"']?(https?:|//|file:)").matcher(html).find(), "no external resource");
        assertFalse(html.contains("@import") || html.contains("url(http"), "no external stylesheet or font");
        Matcher hrefs = Pattern.compile("href=\"([^\"]*)\"").matcher(html);
        Set<String> ids = ids();
        while (hrefs.find()) {
            String target = hrefs.group(1);
            assertTrue(target.startsWith("#") && ids.contains(target.substring(1)), "in-page link to a missing anchor: " + target);
        }
    }

    @Test
    void everySectionHasItsPlotsWithAxisLabelsAndLegends() {
        List<String> svgs = Pattern.compile("<svg.*?</svg>", Pattern.DOTALL).matcher(html).results().map(m -> m.group()).toList();
        assertTrue(svgs.size() >= 30, "plots: " + svgs.size());
        for (String title : List.of("Success rate · wall", "Difference from FP · wall", "Success against budget · wall",
                "Success within k MPC iterations · wall", "Plan loss vs MPC iteration", "Plan loss vs CEM step",
                "Model bytes vs success", "Time per CEM step vs success", "Latent error vs horizon, against FP",
                "Drift at H vs success (real)", "Most sensitive encoder layers", "Most sensitive predictor layers")) {
            assertTrue(svgs.stream().anyMatch(s -> s.contains(title)), "a plot titled " + title);
        }
        for (String axis : List.of("success rate (95 % Wilson interval)", "success − FP success, same episodes",
                "MPC iterations (k)", "CEM steps", "encoder + predictor (MB)", "ms per CEM step", "macro steps ahead (h)",
                "output SQNR when quantized alone")) {
            assertTrue(html.contains(axis), "axis label " + axis);
        }
        for (String legend : List.of("encoder only", "predictor only", "Pareto front", "dominated", "both/w4a16-g128/rtn")) {
            assertTrue(svgs.stream().anyMatch(s -> s.contains(">" + legend + "<")), "legend entry " + legend);
        }
        for (String svg : svgs) {
            assertTrue(svg.contains("viewBox="), "scalable");
            assertTrue(Pattern.compile("<(path|line|rect)").matcher(svg).results().count() > 10, "drawn: " + svg.substring(0, 200));
        }
        assertEquals(svgs.size(), html.split("<figure class=\"chart").length - 1, "one figure per plot");
    }

    @Test
    void theSensitivityBarsAreTheTableRowsInTheTableOrderOneBarPerMeasurement() {
        assertBarsAreTheTable(report, html);
        // each layer measured at a second format too (W3 and W3-g32 in the Wall study): the same layer twice in the
        // table, at ranks apart; its bars must neither merge nor take each other's place
        var s = report.study();
        List<dev.qwm.analysis.sensitivity.LayerSensitivity> twice = new java.util.ArrayList<>();
        for (var l : report.sensitivity().ranked().values().stream().flatMap(List::stream).toList()) {
            twice.add(l);
            twice.add(new dev.qwm.analysis.sensitivity.LayerSensitivity(l.module(), l.layer(), l.inFeatures(),
                    l.outFeatures(), l.method(), l.weightBits(), 32, l.activations(), l.outputMse(), l.outputSqnrDb() + 0.7,
                    l.weightBytes()));
            // and by another method at the same format (PushT's W4 by RTN and by SmoothQuant)
            twice.add(new dev.qwm.analysis.sensitivity.LayerSensitivity(l.module(), l.layer(), l.inFeatures(),
                    l.outFeatures(), "smoothquant", l.weightBits(), l.groupSize(), l.activations(), l.outputMse(),
                    l.outputSqnrDb() + 0.3, l.weightBytes()));
        }
        StudyReport both = new StudyReport(s, report.source(), report.generatedAt(), report.episodes(), report.traced(),
                report.conditions(), report.alignment(), report.drift(),
                new dev.qwm.analysis.sensitivity.SensitivityAnalysis(twice, java.util.Optional.empty()), report.cost());
        boolean repeated = both.sensitivity().ranked().values().stream().anyMatch(ls -> {
            var top = ls.subList(0, Math.min(15, ls.size()));
            return top.stream().map(dev.qwm.analysis.sensitivity.LayerSensitivity::layer).distinct().count() < top.size();
        });
        assertTrue(repeated, "a layer twice among the bars");
        assertBarsAreTheTable(both, HtmlReport.render(both));
    }

    private static void assertBarsAreTheTable(StudyReport r, String page) {
        List<String> svgs = Pattern.compile("<svg.*?</svg>", Pattern.DOTALL).matcher(page).results().map(m -> m.group()).toList();
        for (var e : r.sensitivity().ranked().entrySet()) {
            var layers = e.getValue().subList(0, Math.min(15, e.getValue().size()));
            String svg = svgs.stream().filter(x -> x.contains("Most sensitive " + e.getKey() + " layers at ")).findFirst()
                    .orElseThrow();
            List<String> bars = Pattern.compile(">(\\d+\\. [^<]*)<").matcher(svg).results().map(m -> m.group(1).trim())
                    .toList();
            boolean methods = layers.stream().map(dev.qwm.analysis.sensitivity.LayerSensitivity::method).distinct().count() > 1;
            boolean formats = layers.stream().map(dev.qwm.analysis.sensitivity.LayerSensitivity::weightFormat).distinct().count() > 1;
            boolean activations = layers.stream().map(dev.qwm.analysis.sensitivity.LayerSensitivity::activations).distinct()
                    .count() > 1;
            assertEquals(layers.size(), bars.size(), "one bar per row of the table: " + bars);
            for (int i = 0; i < layers.size(); i++) {
                var l = layers.get(i);
                List<String> parts = new java.util.ArrayList<>();
                if (methods) {
                    parts.add(l.method());
                }
                if (formats) {
                    parts.add(l.weightFormat());
                }
                if (activations) {
                    parts.add(l.activations());
                }
                String tell = String.join(" ", parts);
                assertEquals((i + 1) + ". " + ReportFigures.shorten(l.layer(), 40) + (tell.isEmpty() ? "" : " · " + tell),
                        bars.get(i), "rank " + (i + 1) + " of the " + e.getKey() + " table");
            }
            assertEquals(layers.size(), new HashSet<>(bars).size(), "no two bars named alike: " + bars);
        }
    }

    @Test
    void idsAreUniqueAcrossInlinePlots() {
        Matcher m = Pattern.compile("\\bid=['\"]([^'\"]+)['\"]").matcher(html);
        Set<String> seen = new HashSet<>();
        while (m.find()) {
            assertTrue(seen.add(m.group(1)), "duplicate id " + m.group(1) + " would make one plot clip with another's path");
        }
        assertTrue(seen.size() > 50);
    }

    @Test
    void tablesFindingsAndRecipe() {
        for (String section : List.of("id=\"summary\"", "id=\"table-overview\"", "id=\"table-weight-only\"",
                "id=\"table-weight-activation\"", "id=\"table-modules\"", "id=\"table-budget\"", "id=\"table-alignment\"",
                "id=\"table-cost\"", "id=\"table-drift\"", "id=\"table-drift-correlation\"", "id=\"table-layer-sensitivity\"",
                "id=\"table-mixed-precision\"", "class=\"recipe\"")) {
            assertTrue(html.contains(section), section);
        }
        assertTrue(html.contains("class=\"num worse\""), "differences below FP are marked");
        assertTrue(html.contains("more MPC iterations do not help"), "a plateau finding");
        assertTrue(html.contains("modules:"), "the recipe YAML is shown");
    }

    @Test
    void saysWhereEveryConfigurationRan() {
        assertTrue(html.contains("id=\"ran-on\""), "a 'Where it ran' section");
        assertTrue(html.contains("ran on AMD EPYC 7B12 (avx2; avx2+ fma+ avx512f- avx512_vnni-), ONNX Runtime 1.29.0, cpu, 1 thread"), "a ran-on line");
        // every configuration ran in one place: one line for all, not one identical line per configuration
        assertEquals(java.util.Set.of(dev.qwm.analysis.study.RanOn.EVERY_CONFIGURATION), report.ranOn().keySet());
        assertFalse(html.contains(dev.qwm.analysis.study.RanOn.MIXED_WARNING), "one CPU class: no warning");
    }

    @Test
    void escapesWhatItPrints() {
        assertEquals("a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;", HtmlReport.esc("a <b> & \"c\" 'd'"));
    }

    @Test
    void writesHtmlCsvAndRecipeFiles(@TempDir Path dir) throws Exception {
        List<Path> files = ReportWriter.writeHtml(report, dir);
        assertTrue(Files.exists(dir.resolve("index.html")));
        assertTrue(Files.exists(dir.resolve("mixed-precision.yaml")));
        assertEquals(report.tables().size() + 2, files.size());
        List<String> overview = Files.readAllLines(dir.resolve("csv/overview.csv"));
        assertTrue(overview.get(0).startsWith("env,budget,configuration,modules,n,success,success_lower,success_upper,"
                + "delta_vs_fp,delta_vs_fp_lower,delta_vs_fp_upper,p,"), overview.get(0));
        assertEquals(report.conditions().results().size() + 1, overview.size());
        assertTrue(overview.get(1).contains("\"300×10 CEM, 12 MPC\""), "commas inside a cell are quoted: " + overview.get(1));
        dev.qwm.quant.recipe.RecipeIo.read(dir.resolve("mixed-precision.yaml"));
    }

    @Test
    void printsTheTablesForTheTerminal() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ReportWriter.printText(report, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String text = bytes.toString(StandardCharsets.UTF_8);
        for (String heading : List.of("Findings", "All configurations", "Weight-only quantization",
                "Weight–activation quantization", "Encoder only vs predictor only vs both", "Planning budget against success",
                "Objective–success alignment", "Cost against success", "Rollout drift", "Layer sensitivity",
                "Suggested recipe")) {
            assertTrue(text.contains(heading + "\n"), heading);
        }
        assertTrue(text.contains("0.93 [0.79, 0.98]"), "FP at 50 MPC iterations: 28 of 30");
    }

    private static Set<String> ids() {
        Set<String> ids = new HashSet<>();
        Pattern.compile("\\bid=\"([^\"]+)\"").matcher(html).results().forEach(m -> ids.add(m.group(1)));
        return ids;
    }
}
