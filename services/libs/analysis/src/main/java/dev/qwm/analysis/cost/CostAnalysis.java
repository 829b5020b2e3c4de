package dev.qwm.analysis.cost;

import dev.qwm.analysis.table.ResultTable;
import dev.qwm.analysis.study.Condition;
import dev.qwm.analysis.study.ConditionResult;
import dev.qwm.analysis.study.StudyConditions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Cost against success per environment and budget: model bytes (encoder + predictor artifacts) and mean wall time
 * of one CEM step, each against the success rate, with the Pareto front marked: a configuration is on the front
 * when no other one of its group is at least as cheap and at least as successful, and strictly better in one.
 */
public final class CostAnalysis {

    /** One configuration's cost and success, and whether it is on each front. */
    public record CostPoint(ConditionResult result, double megabytes, double msPerCemStep, boolean bytesFront,
                            boolean timeFront) {
        public Condition condition() {
            return result.condition();
        }
    }

    private final Map<String, List<CostPoint>> groups;

    private CostAnalysis(Map<String, List<CostPoint>> groups) {
        this.groups = groups;
    }

    public static CostAnalysis of(StudyConditions study) {
        Map<String, List<ConditionResult>> byGroup = new LinkedHashMap<>();
        for (ConditionResult r : study.results()) {
            byGroup.computeIfAbsent(r.condition().groupLabel(), k -> new ArrayList<>()).add(r);
        }
        Map<String, List<CostPoint>> out = new LinkedHashMap<>();
        for (var e : byGroup.entrySet()) {
            List<ConditionResult> rs = e.getValue();
            boolean[] bytesFront = front(rs, r -> r.condition().modelBytes() < 0 ? Double.NaN : r.condition().modelBytes());
            boolean[] timeFront = front(rs, r -> r.cemStepMs().isDefined() && r.cemStepMs().value() > 0 ? r.cemStepMs().value() : Double.NaN);
            List<CostPoint> points = new ArrayList<>();
            for (int i = 0; i < rs.size(); i++) {
                ConditionResult r = rs.get(i);
                points.add(new CostPoint(r, r.condition().modelBytes() < 0 ? Double.NaN : r.condition().modelBytes() / 1e6,
                        r.cemStepMs().isDefined() ? r.cemStepMs().value() : Double.NaN, bytesFront[i], timeFront[i]));
            }
            out.put(e.getKey(), points);
        }
        return new CostAnalysis(out);
    }

    /** Pareto front over (cost ↓, success ↑); points without a cost are never on it. */
    public static boolean[] front(List<ConditionResult> rs, ToDoubleFunction<ConditionResult> cost) {
        boolean[] on = new boolean[rs.size()];
        for (int i = 0; i < rs.size(); i++) {
            double ci = cost.applyAsDouble(rs.get(i));
            double si = rs.get(i).success().value();
            if (Double.isNaN(ci)) {
                continue;
            }
            boolean dominated = false;
            for (int j = 0; j < rs.size() && !dominated; j++) {
                double cj = cost.applyAsDouble(rs.get(j));
                double sj = rs.get(j).success().value();
                if (j == i || Double.isNaN(cj)) {
                    continue;
                }
                dominated = cj <= ci && sj >= si && (cj < ci || sj > si);
            }
            on[i] = !dominated;
        }
        return on;
    }

    /** Group label (environment · budget) → points. */
    public Map<String, List<CostPoint>> groups() {
        return groups;
    }

    public ResultTable table() {
        ResultTable.Builder t = ResultTable.builder("cost", "Cost against success")
                .caption("Model bytes (encoder + predictor artifacts as stored) and mean wall time of one CEM step "
                        + "(all candidates, whole horizon) against success, per environment and budget. Pareto: no other "
                        + "configuration of the group is at least as cheap and as successful, and better in one.")
                .text("env · budget").text("configuration").decimal("model MB", 2).decimal("ms / CEM step", 1)
                .rate("success").text("Pareto (bytes)").text("Pareto (time)");
        for (var e : groups.entrySet()) {
            for (CostPoint p : e.getValue()) {
                t.row(e.getKey(), p.condition().configuration(), Double.isNaN(p.megabytes()) ? null : p.megabytes(),
                        Double.isNaN(p.msPerCemStep()) ? null : p.msPerCemStep(), p.result().success(),
                        p.bytesFront() ? "yes" : "", p.timeFront() ? "yes" : "");
            }
        }
        return t.build();
    }
}
