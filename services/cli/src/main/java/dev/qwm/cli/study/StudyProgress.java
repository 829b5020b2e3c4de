package dev.qwm.cli.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.analysis.report.TextTable;
import dev.qwm.planning.PlannerBudget;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How far a study is and what it costs: before it runs, from its spec ({@link #estimate}); while it runs, from the
 * collector ({@link #status}), where each cell's remaining episodes are costed at the MPC iterations its stored
 * episodes took (or, for a cell with none yet, at {@link StudyCost}'s estimate).
 */
public final class StudyProgress {

    private static final ObjectMapper JSON = new ObjectMapper();

    private StudyProgress() {
    }

    /** The spec's cost, cell by cell, in CPU minutes; returns the estimate in CPU hours. */
    public static double estimate(StudySpec spec, StudyCost.Rates measured, PrintStream out) {
        StudyCost.Rates rates = forBundle(spec, measured, out);
        TextTable t = new TextTable("cell", "episodes", "budget", "calibration CPU-min", "planning CPU-min [FP pace - all fail]");
        StudyCost.Seconds total = StudyCost.Seconds.ZERO;
        double calibration = 0;
        Map<String, Boolean> calibrated = new LinkedHashMap<>();
        for (StudySpec.Cell cell : spec.cells()) {
            double cal = 0;
            if (calibrated.putIfAbsent(cell.recipe().name(), true) == null) {
                cal = StudyCost.calibrationSeconds(spec.environment(), cell.recipe(), rates);
            }
            calibration += cal;
            StudyCost.Seconds s = StudyCost.planning(spec.environment(), cell.budget(), spec.episodes(), rates);
            total = total.plus(s);
            t.row(cell.label(), spec.episodes(), StudySpec.label(cell.budget()) + " " + cell.budget().samples() + "x"
                    + cell.budget().optSteps(), cal == 0 ? "-" : fmt(cal / 60), String.format(Locale.ROOT,
                    "%.0f [%.0f - %.0f]", s.estimate() / 60, s.fpPace() / 60, s.allFail() / 60));
        }
        t.print(out);
        double hours = (total.estimate() + calibration) / 3600;
        out.printf(Locale.ROOT, "%s: %d cells, %d episodes; estimate %.1f CPU-hours (planning %.1f [%.1f - %.1f],"
                        + " calibration at most %.1f), at %.0f CPU-ms per CEM step of 300 candidates (%s)%n",
                spec.name(), spec.cells().size(), spec.cells().size() * spec.episodes(), hours,
                total.estimate() / 3600, total.fpPace() / 3600, total.allFail() / 3600, calibration / 3600,
                rates.cemStepMs(spec.environment(), 300), spec.environment());
        return hours;
    }

    /** Per configuration: stored of planned, successes, mean iterations, measured ms per CEM step, CPU left. */
    public static void status(ServiceClient collector, String studyId, StudyCost.Rates rates, PrintStream out) {
        status(studyId, collector.get("/api/v1/studies/" + studyId),
                collector.get("/api/v1/studies/" + studyId + "/episodes").path("episodes"), rates, out);
    }

    /** {@link #status(ServiceClient, String, StudyCost.Rates, PrintStream)} on the collector's answers. */
    static void status(String studyId, JsonNode study, JsonNode episodes, StudyCost.Rates rates, PrintStream out) {
        JsonNode spec;
        try {
            spec = JSON.readTree(study.path("specJson").asText());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("study " + studyId + " has an unreadable spec: " + e.getMessage());
        }
        String environment = spec.path("study").path("environment").asText();
        int perCell = spec.path("study").path("episodes").asInt();
        Map<String, List<JsonNode>> byLabel = new LinkedHashMap<>();
        Map<String, PlannerBudget> budgets = new LinkedHashMap<>();
        for (JsonNode g : spec.path("grid")) {
            byLabel.put(g.path("label").asText(), new ArrayList<>());
        }
        // every cell's whole budget, from the spec as recorded (the grid's summary leaves out top-k and horizon)
        java.util.Optional<StudySpec> recorded = StudySpec.recorded(spec.path("study"));
        recorded.ifPresent(s -> s.cells().forEach(c -> budgets.put(c.label(), c.budget())));
        if (recorded.isPresent()) {
            rates = forBundle(recorded.get(), rates, out);
        }
        for (JsonNode e : episodes) {
            String label = e.path("configuration").asText();
            byLabel.computeIfAbsent(label, k -> new ArrayList<>()).add(e);
            JsonNode b = e.path("budget");
            budgets.putIfAbsent(label, new PlannerBudget(b.path("horizon").asInt(), b.path("samples").asInt(),
                    b.path("topK").asInt(), b.path("varScale").asDouble(), b.path("optSteps").asInt(),
                    b.path("maxIter").asInt(), b.path("objectiveAlpha").asDouble(), b.path("executedActions").asInt()));
        }
        TextTable t = new TextTable("configuration", "stored", "success", "MPC iterations / episode", "ms/CEM step",
                "CPU-min left");
        double left = 0;
        int stored = 0;
        for (Map.Entry<String, List<JsonNode>> c : byLabel.entrySet()) {
            List<JsonNode> eps = c.getValue();
            PlannerBudget b = budgets.get(c.getKey());
            int n = eps.size();
            stored += n;
            int k = (int) eps.stream().filter(e -> e.path("success").asBoolean()).count();
            double iterations = eps.stream().mapToInt(e -> e.path("mpcIterations").asInt()).average().orElse(Double.NaN);
            double ms = eps.stream().mapToDouble(e -> e.path("meanCemStepMs").asDouble()).average().orElse(Double.NaN);
            double cellLeft = 0;
            if (b != null && perCell > n) {
                cellLeft = n > 0 ? StudyCost.remaining(environment, b, perCell - n, iterations, rates)
                        : StudyCost.planning(environment, b, perCell - n, rates).estimate();
            }
            left += cellLeft;
            t.row(c.getKey(), n + "/" + perCell, n == 0 ? "-" : k + "/" + n, n == 0 ? "-" : fmt(iterations),
                    n == 0 ? "-" : String.format(Locale.ROOT, "%.0f", ms), b == null ? "?" : fmt(cellLeft / 60));
        }
        t.print(out);
        int total = study.path("summary").path("episodeCount").asInt();
        out.printf(Locale.ROOT, "study %s: %d of %d episodes stored; about %.1f CPU-hours of planning to finish (at %.0f"
                        + " CPU-ms per CEM step of 300 candidates; ms/CEM step above is wall time on the stack that ran"
                        + " them)%n", studyId, stored, total, left / 3600, rates.cemStepMs(environment, 300));
    }

    /**
     * The rates for the spec's bundle when it is on this machine (a remote stack's path may not be): scaled by its
     * FLOP per CEM step when it is far from the shipped model's size, and said so.
     */
    static StudyCost.Rates forBundle(StudySpec spec, StudyCost.Rates rates, PrintStream out) {
        java.nio.file.Path bundle = java.nio.file.Path.of(spec.bundle());
        if (!java.nio.file.Files.isRegularFile(bundle.resolve("model.json"))) {
            return rates;
        }
        double gflop = dev.qwm.planning.onnx.CemStepCost.of(dev.qwm.onnx.bundle.ModelBundle.read(bundle), 300, 5).gflop();
        StudyCost.Rates scaled = rates.forBundle(spec.environment(), gflop);
        if (!scaled.equals(rates)) {
            out.printf(Locale.ROOT, "%s: %.1f GFLOP per CEM step of 300 x 5, %.1fx the shipped %s model's %.2f: CPU time"
                            + " scaled by FLOP (an upper bound for a large model)%n", bundle.getFileName(), gflop,
                    gflop / StudyCost.Rates.shippedGflop(spec.environment()), spec.environment(),
                    StudyCost.Rates.shippedGflop(spec.environment()));
        }
        return scaled;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, v >= 10 ? "%.0f" : "%.1f", v);
    }
}
