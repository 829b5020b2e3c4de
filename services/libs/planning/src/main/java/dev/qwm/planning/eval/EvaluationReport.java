package dev.qwm.planning.eval;

import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.mpc.EpisodeResult;

import java.util.List;

/**
 * The summary of an evaluation: success rate with its 95 % Wilson interval, mean final state distance, mean final
 * plan loss, time per CEM step (wall and planning-thread CPU), throughput; and every episode's result.
 * {@code wallTimeMs} and {@code episodesPerMinute} are of the episodes planned by this run (a resumed run reports
 * the episodes of the interrupted one too, but not their time).
 */
public record EvaluationReport(
        String environment,
        String modelReference,
        String planner,
        PlannerBudget budget,
        EvaluationSettings settings,
        int episodes,
        int successes,
        double successRate,
        double ci95Low,
        double ci95High,
        double meanFinalStateDistance,
        double meanFinalBestLoss,
        double msPerCemStep,
        double cpuMsPerCemStep,
        long cemSteps,
        double meanMpcIterations,
        long wallTimeMs,
        double episodesPerMinute,
        List<EpisodeResult> results) {

    /** The report of {@code results}, {@code planned} of which were planned within {@code wallTimeMs}. */
    public static EvaluationReport of(String environment, String modelReference, String planner,
                                      PlannerBudget budget, EvaluationSettings settings, List<EpisodeResult> results,
                                      long wallTimeMs, int planned) {
        int n = results.size();
        int k = (int) results.stream().filter(EpisodeResult::success).count();
        double[] ci = wilson95(n, k);
        double dist = results.stream().mapToDouble(EpisodeResult::finalStateDistance).average().orElse(Double.NaN);
        double loss = results.stream().mapToDouble(EpisodeResult::finalBestLoss).filter(d -> !Double.isNaN(d))
                .average().orElse(Double.NaN);
        long steps = results.stream().mapToLong(EpisodeResult::cemSteps).sum();
        double cemMs = results.stream().mapToDouble(r -> r.meanCemStepMs() * r.cemSteps()).sum();
        double cpuMs = results.stream().mapToDouble(r -> r.meanCemStepCpuMs() * r.cemSteps()).sum();
        double iters = results.stream().mapToInt(EpisodeResult::mpcIterations).average().orElse(Double.NaN);
        return new EvaluationReport(environment, modelReference, planner, budget, settings, n, k,
                n == 0 ? Double.NaN : (double) k / n, ci[0], ci[1], dist, loss,
                steps == 0 ? Double.NaN : cemMs / steps, steps == 0 ? Double.NaN : cpuMs / steps, steps, iters,
                wallTimeMs,
                wallTimeMs == 0 || planned == 0 ? Double.NaN : planned * 60_000.0 / wallTimeMs, results);
    }

    /** 95 % Wilson score interval of k successes in n trials ({0, 1} when there are no trials). */
    public static double[] wilson95(int n, int k) {
        return WilsonInterval.of(k, n, 0.95);
    }
}
