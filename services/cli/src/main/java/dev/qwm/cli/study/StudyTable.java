package dev.qwm.cli.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.analysis.data.CollectorJson;
import dev.qwm.analysis.data.StudyInfo;
import dev.qwm.analysis.data.EpisodeRecord;
import dev.qwm.analysis.report.TextTable;
import dev.qwm.analysis.study.RanOn;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.planning.eval.WilsonInterval;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A study's results in the paper's layout, from the collector: one row per recipe (and modules), one success column
 * per planner budget (rate with its 95 % Wilson interval), then the bytes of the encoder and predictor artifacts
 * and the mean time of one CEM step.
 */
public final class StudyTable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private StudyTable() {
    }

    public static void print(ServiceClient collector, String studyId, PrintStream out) {
        JsonNode study = collector.get("/api/v1/studies/" + studyId);
        JsonNode episodes = collector.get("/api/v1/studies/" + studyId + "/episodes").path("episodes");
        JsonNode spec;
        try {
            spec = JSON.readTree(study.path("specJson").asText());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("study " + studyId + " has an unreadable spec: " + e.getMessage());
        }
        // label -> (recipe, modules, budget) from the grid the command line recorded; else one row per label
        Map<String, JsonNode> grid = new LinkedHashMap<>();
        for (JsonNode g : spec.path("grid")) {
            grid.put(g.path("label").asText(), g);
        }
        Map<String, List<JsonNode>> byLabel = new LinkedHashMap<>();
        grid.keySet().forEach(l -> byLabel.put(l, new ArrayList<>()));
        for (JsonNode e : episodes) {
            byLabel.computeIfAbsent(e.path("configuration").asText(), k -> new ArrayList<>()).add(e);
        }
        Set<String> budgets = new LinkedHashSet<>();
        Map<String, Map<String, String>> cells = new LinkedHashMap<>();
        Map<String, String[]> rowInfo = new LinkedHashMap<>();
        for (Map.Entry<String, List<JsonNode>> entry : byLabel.entrySet()) {
            JsonNode g = grid.get(entry.getKey());
            String recipe = g == null ? entry.getKey() : g.path("recipe").asText();
            String budget = g == null ? "-" : g.path("budget").asText();
            budgets.add(budget);
            List<JsonNode> eps = entry.getValue();
            int n = eps.size();
            int k = (int) eps.stream().filter(e -> e.path("success").asBoolean()).count();
            cells.computeIfAbsent(recipe, r -> new LinkedHashMap<>()).put(budget, successCell(k, n));
            String[] info = rowInfo.computeIfAbsent(recipe, r -> new String[] {
                    g == null ? "?" : g.path("modules").asText(), g == null ? "?" : g.path("preset").asText(),
                    g == null ? "?" : g.path("method").asText(), "-", "-", "-"});
            if (!eps.isEmpty()) {
                JsonNode first = eps.get(0);
                info[3] = kib(componentBytes(first.path("encoder").path("bundle").asText(), BundleManifest.VISUAL_ENCODER));
                info[4] = kib(componentBytes(first.path("predictor").path("bundle").asText(), BundleManifest.PREDICTOR));
                double ms = eps.stream().mapToDouble(e -> e.path("meanCemStepMs").asDouble()).average().orElse(Double.NaN);
                info[5] = String.format(Locale.ROOT, "%.0f", ms);
            }
        }
        List<String> header = new ArrayList<>(List.of("recipe", "modules", "preset", "method"));
        for (String b : budgets) {
            header.add("success " + b + " [95% CI]");
        }
        header.addAll(List.of("encoder KiB", "predictor KiB", "ms/CEM step"));
        TextTable t = new TextTable(header.toArray(String[]::new));
        for (Map.Entry<String, Map<String, String>> row : cells.entrySet()) {
            String[] info = rowInfo.get(row.getKey());
            List<Object> r = new ArrayList<>(List.of(row.getKey(), info[0], info[1], info[2]));
            for (String b : budgets) {
                r.add(row.getValue().getOrDefault(b, "-"));
            }
            r.add(info[3]);
            r.add(info[4]);
            r.add(info[5]);
            t.row(r.toArray());
        }
        JsonNode summary = study.path("summary");
        int failed = summary.path("failedCount").asInt();
        out.printf(Locale.ROOT, "study %s (%s): %d/%d episodes stored%s%n", studyId, summary.path("name").asText(),
                summary.path("completedCount").asInt(), summary.path("episodeCount").asInt(),
                failed == 0 ? "" : ", " + failed + " failed (not planned; reasons below)");
        t.print(out);
        printRanOn(byLabel, out);
        printFailures(study.path("failures"), out);
    }

    /** The dead-lettered episodes, one line per (configuration, reason) with how many and which. */
    static void printFailures(JsonNode failures, PrintStream out) {
        if (failures.isEmpty()) {
            return;
        }
        out.printf(Locale.ROOT, "%nfailed episodes (the planner could not plan them):%n");
        StudyInfo.failureLines(CollectorJson.failures(failures)).forEach(line -> out.println("  " + line));
    }

    /** A "ran on" line per configuration, and a warning when the cells ran on different CPU classes. */
    static void printRanOn(Map<String, List<JsonNode>> byLabel, PrintStream out) {
        List<EpisodeRecord> all = new ArrayList<>();
        Map<String, List<String>> lines = new LinkedHashMap<>();
        byLabel.forEach((label, eps) -> {
            if (eps.isEmpty()) {
                return;
            }
            List<EpisodeRecord> records = eps.stream().map(CollectorJson::episode).toList();
            all.addAll(records);
            lines.put(label, RanOn.lines(records));
        });
        RanOn.collapse(lines).forEach((label, where) -> where.forEach(w -> out.println("ran on: " + label + ": " + w)));
        RanOn.mixedCpuClasses(all).ifPresent(out::println);
    }

    static String successCell(int k, int n) {
        if (n == 0) {
            return "pending";
        }
        double[] ci = WilsonInterval.of(k, n, 0.95);
        return String.format(Locale.ROOT, "%d/%d %3.0f%% [%.0f-%.0f]", k, n, 100.0 * k / n, 100 * ci[0], 100 * ci[1]);
    }

    private static long componentBytes(String bundle, String component) {
        try {
            return ModelBundle.parseManifest(Path.of(bundle).resolve(ModelBundle.MANIFEST_FILE)).components()
                    .get(component).bytes();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private static String kib(long bytes) {
        return bytes < 0 ? "?" : String.format(Locale.ROOT, "%.1f", bytes / 1024.0);
    }
}
