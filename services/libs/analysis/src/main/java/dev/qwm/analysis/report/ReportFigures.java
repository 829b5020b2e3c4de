package dev.qwm.analysis.report;

import dev.qwm.analysis.StudyReport;
import dev.qwm.analysis.alignment.AlignmentResult;
import dev.qwm.analysis.alignment.Curve;
import dev.qwm.analysis.cost.CostAnalysis;
import dev.qwm.analysis.drift.DriftAnalysis;
import dev.qwm.analysis.drift.RolloutDrift;
import dev.qwm.analysis.sensitivity.LayerSensitivity;
import dev.qwm.analysis.stats.Estimate;
import dev.qwm.analysis.study.ConditionResult;
import java.awt.Color;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The report's plots, shaped from the study's results: which configurations go into which chart, on which axes,
 * in which colour. No markup here: {@link HtmlReport} places the figures.
 */
final class ReportFigures {

    /** Forest plots show at most this many rows; the tables have them all. */
    private static final int MAX_FOREST_ROWS = 40;
    /** Line charts show at most this many configurations. */
    private static final int MAX_LINES = 10;
    /** One colour per module scope, the same in every plot. */
    private static final Map<String, Color> SCOPE_COLOURS = Map.of(
            "FP", new Color(0x444444), "both", Charts.PALETTE[0], "encoder only", Charts.PALETTE[1],
            "predictor only", Charts.PALETTE[4], "unknown", Charts.PALETTE[9]);

    private final StudyReport report;
    /** One colour per configuration label, the same in every plot. */
    private final Map<String, Color> configurationColours = new LinkedHashMap<>();

    ReportFigures(StudyReport report) {
        this.report = report;
        for (ConditionResult r : report.conditions().results()) {
            String label = r.condition().configuration();
            if (!configurationColours.containsKey(label)) {
                configurationColours.put(label, Charts.PALETTE[configurationColours.size() % Charts.PALETTE.length]);
            }
        }
    }

    /** Per group of comparable conditions: success with intervals, and the paired difference from FP. */
    List<Charts.Figure> success(Predicate<ConditionResult> include) {
        List<Charts.Figure> out = new ArrayList<>();
        for (List<ConditionResult> group : groups(include)) {
            String label = group.get(0).condition().groupLabel();
            List<ConditionResult> shown = group.size() > MAX_FOREST_ROWS ? group.subList(0, MAX_FOREST_ROWS) : group;
            List<Charts.IntervalRow> rows = new ArrayList<>();
            List<Charts.IntervalRow> diffs = new ArrayList<>();
            report.conditions().fullPrecision(group.get(0).condition().groupKey())
                    .filter(fp -> !shown.contains(fp))
                    .ifPresent(fp -> rows.add(row(fp, fp.success())));
            for (ConditionResult r : shown) {
                rows.add(row(r, r.success()));
                r.versusFullPrecision().ifPresent(d -> diffs.add(row(r, d.difference())));
            }
            out.add(Charts.forest("Success rate · " + label, "success rate (95 % Wilson interval)", rows, 0, 1.0, null, SCOPE_COLOURS));
            if (!diffs.isEmpty()) {
                out.add(Charts.forest("Difference from FP · " + label, "success − FP success, same episodes "
                        + "(95 % Newcombe interval)", diffs, -1.0, 1.0, 0.0, SCOPE_COLOURS));
            }
        }
        return out;
    }

    /**
     * Final success against the budget, one line per configuration: against MPC iterations when only those vary,
     * CEM steps when only those vary, else against their product (CEM steps in all).
     */
    List<Charts.Figure> budget() {
        List<Charts.Figure> out = new ArrayList<>();
        Map<String, List<ConditionResult>> byEnv = new LinkedHashMap<>();
        report.conditions().results().forEach(r -> byEnv.computeIfAbsent(r.condition().environment(), k -> new ArrayList<>()).add(r));
        byEnv.forEach((env, rs) -> {
            boolean iterationsVary = rs.stream().map(r -> r.condition().budget().maxIter()).distinct().count() > 1;
            boolean stepsVary = rs.stream().map(r -> r.condition().budget().optSteps()).distinct().count() > 1;
            String axis = iterationsVary && !stepsVary ? "MPC iterations (max_iter)"
                    : stepsVary && !iterationsVary ? "CEM steps per plan (opt_steps)" : "CEM steps in all (opt_steps × max_iter)";
            Map<String, List<ConditionResult>> byConfiguration = new LinkedHashMap<>();
            rs.forEach(r -> byConfiguration.computeIfAbsent(r.condition().configuration(), k -> new ArrayList<>()).add(r));
            List<Charts.Line> ls = new ArrayList<>();
            byConfiguration.forEach((configuration, runs) -> {
                if (runs.size() < 2) {
                    return;
                }
                List<ConditionResult> sorted = new ArrayList<>(runs);
                Function<ConditionResult, Integer> x = r -> iterationsVary && !stepsVary ? r.condition().budget().maxIter()
                        : stepsVary && !iterationsVary ? r.condition().budget().optSteps()
                        : r.condition().budget().optSteps() * r.condition().budget().maxIter();
                sorted.sort(Comparator.comparing(x));
                ls.add(new Charts.Line(configuration, sorted.stream().mapToDouble(r -> x.apply(r)).toArray(),
                        sorted.stream().mapToDouble(r -> r.success().value()).toArray()));
            });
            if (!ls.isEmpty()) {
                out.add(Charts.lines("Success against budget · " + env, axis, "success rate", ls, 0.0, 1.0,
                        configurationColours));
            }
        });
        return out;
    }

    /** Success and relative plan loss against MPC iterations and, where traced, CEM steps. */
    List<Charts.Figure> alignment() {
        List<Charts.Figure> out = new ArrayList<>();
        for (List<ConditionResult> group : groups(r -> true)) {
            String label = group.get(0).condition().groupLabel();
            List<AlignmentResult> rs = report.alignment().results().stream()
                    .filter(a -> group.stream().anyMatch(g -> g.condition() == a.condition())).toList();
            out.add(Charts.lines("Success within k MPC iterations · " + label, "MPC iterations (k)", "success rate",
                    lines(rs, a -> a.mpcCurve().success(), false), 0.0, 1.0, configurationColours));
            List<Charts.Line> mpcLoss = lines(rs, a -> a.mpcCurve().relativeLoss(), false);
            if (!mpcLoss.isEmpty()) {
                out.add(Charts.lines("Plan loss vs MPC iteration · " + label, "MPC iterations",
                        "best plan loss / first iteration's", mpcLoss, null, null, configurationColours));
            }
            List<AlignmentResult> withCem = rs.stream().filter(a -> a.cemCurve().isPresent()).toList();
            if (!withCem.isEmpty()) {
                out.add(Charts.lines("Success of the mean plan vs CEM step · " + label, "CEM steps",
                        "success rate (all MPC iterations)", cemLines(withCem, Curve::success), 0.0, 1.0, configurationColours));
                out.add(Charts.lines("Plan loss vs CEM step · " + label, "CEM steps", "best loss / first step's",
                        cemLines(withCem, Curve::relativeLoss), null, null, configurationColours));
            }
        }
        return out;
    }

    /** Bytes and time per CEM step against success, with their Pareto fronts. */
    List<Charts.Figure> cost() {
        List<Charts.Figure> out = new ArrayList<>();
        report.cost().groups().forEach((group, points) -> {
            List<Charts.Point> bytes = new ArrayList<>();
            List<Charts.Point> bytesFront = new ArrayList<>();
            List<Charts.Point> time = new ArrayList<>();
            List<Charts.Point> timeFront = new ArrayList<>();
            for (CostAnalysis.CostPoint p : points) {
                String label = p.condition().configuration();
                double s = p.result().success().value();
                if (!Double.isNaN(p.megabytes())) {
                    Charts.Point pt = new Charts.Point(label, p.megabytes(), s, "");
                    bytes.add(pt);
                    if (p.bytesFront()) {
                        bytesFront.add(pt);
                    }
                }
                if (!Double.isNaN(p.msPerCemStep())) {
                    Charts.Point pt = new Charts.Point(label, p.msPerCemStep(), s, "");
                    time.add(pt);
                    if (p.timeFront()) {
                        timeFront.add(pt);
                    }
                }
            }
            if (!bytes.isEmpty()) {
                out.add(Charts.pareto("Model bytes vs success · " + group, "encoder + predictor (MB)", bytes, bytesFront));
            }
            if (!time.isEmpty()) {
                out.add(Charts.pareto("Time per CEM step vs success · " + group, "ms per CEM step", time, timeFront));
            }
        });
        return out;
    }

    /** Latent error against the horizon per reference, and final error against success. */
    List<Charts.Figure> drift() {
        List<Charts.Figure> out = new ArrayList<>();
        DriftAnalysis drift = report.drift();
        for (RolloutDrift.Reference ref : RolloutDrift.Reference.values()) {
            List<Charts.Line> ls = new ArrayList<>();
            for (RolloutDrift d : drift.curves()) {
                if (d.reference() == ref && ls.size() < MAX_LINES) {
                    ls.add(new Charts.Line(d.environment() + " " + d.configuration(), oneBased(d.horizon()), d.error()));
                }
            }
            if (!ls.isEmpty()) {
                out.add(Charts.lines("Latent error vs horizon, against " + (ref == RolloutDrift.Reference.REAL
                        ? "real encodings" : "FP"), "macro steps ahead (h)", "mean squared latent error", ls, null, null,
                        driftColours()));
            }
        }
        for (DriftAnalysis.DriftCorrelation c : drift.correlations()) {
            List<Charts.Point> pts = c.points().stream()
                    .map(p -> new Charts.Point(p.configuration(), p.finalError(), p.result().success().value(), ""))
                    .toList();
            String rho = c.correlation().isDefined() ? "ρ = " + c.correlation().rho().formatSigned(2) : "ρ undefined";
            out.add(Charts.scatter("Drift at H vs success (" + c.reference().id() + ") · " + c.groupLabel() + " · " + rho,
                    "latent error at h = H", "success rate", pts, -0.05, 1.1));
        }
        return out;
    }

    /**
     * The most sensitive layers of each module, in the order and with the ranks of the layer-sensitivity table: one
     * bar per measurement (a layer measured at several formats has a bar per format, each named with its rank and
     * format, so none takes another's place).
     */
    List<Charts.Figure> sensitivity() {
        List<Charts.Figure> out = new ArrayList<>();
        report.sensitivity().ranked().forEach((module, layers) -> {
            List<LayerSensitivity> top = layers.subList(0, Math.min(15, layers.size()));
            if (!top.isEmpty()) {
                List<String> formats = top.stream().map(LayerSensitivity::weightFormat).distinct().toList();
                List<String> labels = new ArrayList<>();
                for (int i = 0; i < top.size(); i++) {
                    labels.add((i + 1) + ". " + shorten(top.get(i).layer(), 40) + distinction(top, top.get(i)));
                }
                out.add(Charts.bars("Most sensitive " + module + " layers at " + String.join(", ", formats),
                        "output SQNR when quantized alone (dB; lower = more sensitive)", labels,
                        top.stream().map(LayerSensitivity::outputSqnrDb).toList(), "SQNR"));
            }
        });
        return out;
    }

    /**
     * What tells a bar's measurement from the others shown (the table's method, weights and activations columns, those
     * that differ among them): " · rtn A8-tensor", or "" when all are alike.
     */
    static String distinction(List<LayerSensitivity> shown, LayerSensitivity l) {
        StringBuilder b = new StringBuilder();
        List<Function<LayerSensitivity, String>> columns = List.of(LayerSensitivity::method,
                LayerSensitivity::weightFormat, LayerSensitivity::activations);
        for (Function<LayerSensitivity, String> column : columns) {
            if (shown.stream().map(column).distinct().count() > 1) {
                b.append(b.length() == 0 ? " · " : " ").append(column.apply(l));
            }
        }
        return b.toString();
    }

    private List<List<ConditionResult>> groups(Predicate<ConditionResult> include) {
        Map<String, List<ConditionResult>> byGroup = new LinkedHashMap<>();
        for (ConditionResult r : report.conditions().results()) {
            if (include.test(r)) {
                byGroup.computeIfAbsent(r.condition().groupKey(), k -> new ArrayList<>()).add(r);
            }
        }
        return new ArrayList<>(byGroup.values());
    }

    private static Charts.IntervalRow row(ConditionResult r, Estimate e) {
        String series = r.condition().descriptor().map(d -> d.scope().label()).orElse("unknown");
        return new Charts.IntervalRow(r.condition().configuration(), e.value(), e.interval().lower(), e.interval().upper(),
                series);
    }

    private static List<Charts.Line> lines(List<AlignmentResult> rs, Function<AlignmentResult, double[]> y,
                                           boolean withBudget) {
        List<Charts.Line> out = new ArrayList<>();
        for (AlignmentResult a : rs) {
            if (out.size() == MAX_LINES) {
                break;
            }
            double[] values = y.apply(a);
            if (allNaN(values)) {
                continue;
            }
            out.add(new Charts.Line(a.condition().displayName(withBudget), oneBased(values.length), values));
        }
        return out;
    }

    private static List<Charts.Line> cemLines(List<AlignmentResult> rs, Function<Curve, double[]> y) {
        List<Charts.Line> out = new ArrayList<>();
        for (AlignmentResult a : rs) {
            if (out.size() == MAX_LINES) {
                break;
            }
            double[] values = y.apply(a.cemCurve().orElseThrow());
            if (!allNaN(values)) {
                out.add(new Charts.Line(a.condition().configuration(), oneBased(values.length), values));
            }
        }
        return out;
    }

    private Map<String, Color> driftColours() {
        Map<String, Color> out = new LinkedHashMap<>();
        for (RolloutDrift d : report.drift().curves()) {
            Color c = configurationColours.get(d.configuration());
            if (c != null) {
                out.put(d.environment() + " " + d.configuration(), c);
            }
        }
        return out;
    }

    private static boolean allNaN(double[] v) {
        for (double d : v) {
            if (!Double.isNaN(d)) {
                return false;
            }
        }
        return true;
    }

    private static double[] oneBased(int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i + 1;
        }
        return x;
    }

    static String shorten(String s, int max) {
        return s.length() <= max ? s : "…" + s.substring(s.length() - max + 1);
    }
}
