package dev.qwm.analysis.alignment;

import dev.qwm.analysis.data.CemStepRecord;
import dev.qwm.analysis.data.EpisodeRecord;
import dev.qwm.analysis.data.EpisodeTrace;
import dev.qwm.analysis.data.MpcIterationRecord;
import dev.qwm.analysis.table.ResultTable;
import dev.qwm.analysis.stats.Bootstrap;
import dev.qwm.analysis.stats.Estimate;
import dev.qwm.analysis.stats.RankCorrelation;
import dev.qwm.analysis.study.Condition;
import dev.qwm.analysis.study.ConditionResult;
import dev.qwm.analysis.study.StudyConditions;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Does the planner's objective track the task? Per condition: Spearman between each episode's final best plan loss
 * and its success (rank point-biserial; negative = lower loss, more success) and its final state distance (positive
 * = lower loss, closer); success and loss against MPC iteration (success within the first k iterations, from the
 * episodes; loss from the traces, an ended episode keeping its last value) and against CEM step (over every MPC
 * iteration of every episode); and a {@link PlateauFlag} where success stops improving while the loss keeps falling.
 */
public final class AlignmentAnalysis {

    private final List<AlignmentResult> results;

    private AlignmentAnalysis(List<AlignmentResult> results) {
        this.results = List.copyOf(results);
    }

    public static AlignmentAnalysis of(StudyConditions study, Map<Integer, EpisodeTrace> traces) {
        Bootstrap bootstrap = Bootstrap.standard();
        Map<String, Curve> fpMpc = new HashMap<>();
        Map<String, Curve> fpCem = new HashMap<>();
        List<Condition> conditions = study.results().stream().map(ConditionResult::condition).toList();
        Map<Condition, Curve> mpc = new HashMap<>();
        Map<Condition, Optional<Curve>> cem = new HashMap<>();
        for (Condition c : conditions) {
            mpc.put(c, mpcCurve(c, traces));
            cem.put(c, cemCurve(c, traces));
            if (c.isFullPrecision()) {
                fpMpc.putIfAbsent(c.groupKey(), mpc.get(c));
                cem.get(c).ifPresent(curve -> fpCem.putIfAbsent(c.groupKey(), curve));
            }
        }
        List<AlignmentResult> out = new ArrayList<>();
        for (Condition c : conditions) {
            double[] loss = c.episodes().stream().mapToDouble(EpisodeRecord::finalBestLoss).toArray();
            double[] success = c.episodes().stream().mapToDouble(e -> e.success() ? 1 : 0).toArray();
            double[] distance = c.episodes().stream().mapToDouble(EpisodeRecord::finalStateDistance).toArray();
            Curve m = mpc.get(c);
            Optional<Curve> ce = cem.get(c);
            Optional<PlateauFlag> mFlag = c.isFullPrecision() ? Optional.empty()
                    : PlateauFlag.detect(m, tolerance(c.size()), last(fpMpc.get(c.groupKey())));
            Optional<PlateauFlag> cFlag = c.isFullPrecision() || ce.isEmpty() ? Optional.empty()
                    : PlateauFlag.detect(ce.get(), tolerance(ce.get().samples()[0]), last(fpCem.get(c.groupKey())));
            double[] divergence = c.episodes().stream()
                    .map(e -> traces.get(e.index()))
                    .filter(t -> t != null && !t.mpcIterations().isEmpty())
                    .mapToDouble(t -> t.mpcIterations().get(t.mpcIterations().size() - 1).visualDivergence())
                    .filter(Double::isFinite).toArray();
            out.add(new AlignmentResult(c, RankCorrelation.spearman(loss, success, bootstrap),
                    RankCorrelation.spearman(loss, distance, bootstrap), m, ce, mFlag, cFlag, bootstrap.mean(divergence)));
        }
        return new AlignmentAnalysis(out);
    }

    private static double tolerance(int n) {
        return Math.max(0.02, n == 0 ? 0.02 : 1.0 / n);
    }

    private static double last(Curve fp) {
        return fp == null ? Double.NaN : fp.lastSuccess();
    }

    /** Success within the first k+1 MPC iterations, and loss and distance at iteration k (ended episodes hold). */
    static Curve mpcCurve(Condition c, Map<Integer, EpisodeTrace> traces) {
        int iterations = c.budget().maxIter();
        for (EpisodeRecord e : c.episodes()) {
            iterations = Math.max(iterations, e.mpcIterations());
        }
        iterations = Math.max(1, iterations);
        double[] success = new double[iterations];
        double[] lossSum = new double[iterations];
        double[] distSum = new double[iterations];
        int[] traced = new int[iterations];
        for (int k = 0; k < iterations; k++) {
            int within = 0;
            for (EpisodeRecord e : c.episodes()) {
                if (e.succeededWithin(k + 1)) {
                    within++;
                }
            }
            success[k] = (double) within / c.size();
        }
        for (EpisodeRecord e : c.episodes()) {
            EpisodeTrace t = traces.get(e.index());
            if (t == null || t.mpcIterations().isEmpty()) {
                continue;
            }
            List<MpcIterationRecord> its = t.mpcIterations();
            MpcIterationRecord held = its.get(0);
            int next = 0;
            for (int k = 0; k < iterations; k++) {
                while (next < its.size() && its.get(next).mpcIteration() <= k) {
                    held = its.get(next++);
                }
                if (!Double.isFinite(held.bestLoss()) || !Double.isFinite(held.stateDistance())) {
                    continue;
                }
                lossSum[k] += held.bestLoss();
                distSum[k] += held.stateDistance();
                traced[k]++;
            }
        }
        return curve("MPC iteration", success, lossSum, distSum, traced, c.size());
    }

    /** Mean over every (episode, MPC iteration) of the metrics at each CEM step; empty without CEM traces. */
    static Optional<Curve> cemCurve(Condition c, Map<Integer, EpisodeTrace> traces) {
        int steps = c.budget().optSteps();
        List<CemStepRecord> records = new ArrayList<>();
        for (EpisodeRecord e : c.episodes()) {
            EpisodeTrace t = traces.get(e.index());
            if (t != null) {
                records.addAll(t.cemSteps());
            }
        }
        if (records.isEmpty()) {
            return Optional.empty();
        }
        for (CemStepRecord r : records) {
            steps = Math.max(steps, r.cemStep() + 1);
        }
        double[] successSum = new double[steps];
        double[] lossSum = new double[steps];
        double[] distSum = new double[steps];
        int[] n = new int[steps];
        for (CemStepRecord r : records) {
            if (!Double.isFinite(r.bestLoss()) || !Double.isFinite(r.stateDistance())) {
                continue;
            }
            successSum[r.cemStep()] += r.success() ? 1 : 0;
            lossSum[r.cemStep()] += r.bestLoss();
            distSum[r.cemStep()] += r.stateDistance();
            n[r.cemStep()]++;
        }
        double[] success = new double[steps];
        for (int j = 0; j < steps; j++) {
            success[j] = n[j] == 0 ? Double.NaN : successSum[j] / n[j];
        }
        return Optional.of(curve("CEM step", success, lossSum, distSum, n, -1));
    }

    private static Curve curve(String axis, double[] success, double[] lossSum, double[] distSum, int[] n, int episodes) {
        int len = success.length;
        double[] relLoss = new double[len];
        double[] dist = new double[len];
        double base = n[0] == 0 ? Double.NaN : lossSum[0] / n[0];
        int[] samples = new int[len];
        for (int k = 0; k < len; k++) {
            double mean = n[k] == 0 ? Double.NaN : lossSum[k] / n[k];
            relLoss[k] = base > 0 ? mean / base : Double.NaN;
            dist[k] = n[k] == 0 ? Double.NaN : distSum[k] / n[k];
            samples[k] = episodes >= 0 ? episodes : n[k];
        }
        return new Curve(axis, success, relLoss, dist, samples);
    }

    public List<AlignmentResult> results() {
        return results;
    }

    public ResultTable table() {
        ResultTable.Builder t = ResultTable.builder("alignment", "Objective–success alignment")
                .caption("Spearman ρ over episodes (ties at their average rank) between the final best plan loss and "
                        + "success (negative: lower loss, more success), and the final state distance (positive: lower "
                        + "loss, closer), with 95 % bootstrap intervals (2000 resamples, fixed seed). Divergence: "
                        + "‖imagined − real final latent‖ at the last MPC iteration. Flags: success flat (within one "
                        + "episode) over at least a quarter of the curve while the plan loss falls ≥ 10 %, ending at least 0.05 below FP.")
                .text("env").text("budget").text("configuration").integer("n").correlation("ρ(loss, success)")
                .correlation("ρ(loss, distance)").decimal("divergence", 3).text("stops helping: MPC iterations")
                .text("stops helping: CEM steps");
        for (AlignmentResult r : results) {
            Condition c = r.condition();
            t.row(c.environment(), c.budget().label(), c.configuration(), c.size(),
                    r.lossVersusSuccess().rho().isDefined() ? r.lossVersusSuccess().rho() : null,
                    r.lossVersusDistance().rho().isDefined() ? r.lossVersusDistance().rho() : null,
                    r.finalVisualDivergence().isDefined() ? r.finalVisualDivergence().value() : null,
                    r.mpcFlag().map(PlateauFlag::brief).orElse(c.isFullPrecision() ? "reference" : "no"),
                    r.cemFlag().map(PlateauFlag::brief).orElse(c.isFullPrecision() ? "reference"
                            : r.cemCurve().isPresent() ? "no" : "no trace"));
        }
        return t.build();
    }

    /** The flagged conditions. */
    public List<AlignmentResult> flagged() {
        return results.stream().filter(r -> r.mpcFlag().isPresent() || r.cemFlag().isPresent()).toList();
    }

}
