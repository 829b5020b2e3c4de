package dev.qwm.analysis.drift;

import dev.qwm.analysis.table.ResultTable;
import dev.qwm.analysis.stats.RankCorrelation;
import dev.qwm.analysis.stats.RankCorrelation.Correlation;
import dev.qwm.analysis.study.ConditionResult;
import dev.qwm.analysis.study.StudyConditions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Is rollout drift a cheap proxy for planning success? Across the configurations of one environment and budget,
 * Spearman between the drift at the last horizon step and the success rate (negative: more drift, less success),
 * for each reference (against FP, against real encodings). Drift curves are matched to study configurations by
 * environment and configuration label.
 */
public final class DriftAnalysis {

    /** One correlation across configurations. */
    public record DriftCorrelation(String groupLabel, RolloutDrift.Reference reference, List<Point> points,
                                   Correlation correlation) {
    }

    /** A configuration's final drift and its success. */
    public record Point(String configuration, double finalError, ConditionResult result) {
    }

    private final List<RolloutDrift> curves;
    private final List<DriftCorrelation> correlations;
    private final List<String> notes;

    private DriftAnalysis(List<RolloutDrift> curves, List<DriftCorrelation> correlations, List<String> notes) {
        this.curves = List.copyOf(curves);
        this.correlations = List.copyOf(correlations);
        this.notes = List.copyOf(notes);
    }

    public static DriftAnalysis of(StudyConditions study, List<RolloutDrift> curves) {
        List<String> notes = new ArrayList<>();
        Map<String, List<Point>> byGroupAndReference = new LinkedHashMap<>();
        Map<String, String> groupLabels = new LinkedHashMap<>();
        for (RolloutDrift d : curves) {
            boolean matched = false;
            for (ConditionResult r : study.results()) {
                if (r.condition().environment().equalsIgnoreCase(d.environment())
                        && r.condition().configuration().equals(d.configuration())) {
                    String key = r.condition().groupKey() + "|" + d.reference();
                    byGroupAndReference.computeIfAbsent(key, k -> new ArrayList<>())
                            .add(new Point(d.configuration(), d.finalError(), r));
                    groupLabels.put(key, r.condition().groupLabel());
                    matched = true;
                }
            }
            if (!matched) {
                notes.add("drift curve of '" + d.configuration() + "' (" + d.environment() + ") matches no configuration "
                        + "of the study");
            }
        }
        List<DriftCorrelation> out = new ArrayList<>();
        for (var e : byGroupAndReference.entrySet()) {
            List<Point> points = e.getValue();
            double[] drift = points.stream().mapToDouble(Point::finalError).toArray();
            double[] success = points.stream().mapToDouble(p -> p.result().success().value()).toArray();
            RolloutDrift.Reference ref = RolloutDrift.Reference.valueOf(e.getKey().substring(e.getKey().lastIndexOf('|') + 1));
            out.add(new DriftCorrelation(groupLabels.get(e.getKey()), ref, points, RankCorrelation.spearman(drift, success)));
        }
        return new DriftAnalysis(curves, out, notes);
    }

    public List<RolloutDrift> curves() {
        return curves;
    }

    public List<DriftCorrelation> correlations() {
        return correlations;
    }

    public boolean isEmpty() {
        return curves.isEmpty();
    }

    public ResultTable curvesTable() {
        ResultTable.Builder t = ResultTable.builder("drift", "Rollout drift")
                .caption("Open-loop latent error (mean squared, over fixed validation segments) of each configuration's "
                        + "rollout, against the FP model's rollout (fp) and against the encodings of the real "
                        + "observations (real), at macro steps 1, H/2 and H.")
                .text("env").text("configuration").text("reference").integer("segments").decimal("h=1", 5)
                .decimal("h=H/2", 5).decimal("h=H", 5).integer("H").decimal("growth H/1", 1);
        for (RolloutDrift d : curves) {
            double[] e = d.error();
            t.row(d.environment(), d.configuration(), d.reference().id(), d.segments(), e[0], e[(e.length - 1) / 2],
                    d.finalError(), d.horizon(), e[0] > 0 ? d.finalError() / e[0] : null);
        }
        return t.notes(notes).build();
    }

    public ResultTable correlationTable() {
        ResultTable.Builder t = ResultTable.builder("drift-correlation", "Drift as a proxy for success")
                .caption("Spearman ρ across configurations between the drift at h = H and the success rate, with a 95 % "
                        + "bootstrap interval over configurations; negative means more drift, less success. Few "
                        + "configurations make wide intervals.")
                .text("env · budget").text("reference").integer("configurations").correlation("ρ(drift, success)")
                .pValue("p");
        for (DriftCorrelation c : correlations) {
            t.row(c.groupLabel(), c.reference().id(), c.points().size(),
                    c.correlation().isDefined() ? c.correlation().rho() : null,
                    Double.isNaN(c.correlation().pValue()) ? null : c.correlation().pValue());
        }
        return t.build();
    }
}
