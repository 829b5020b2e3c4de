package dev.qwm.planning.mpc;

import dev.qwm.planning.DataSplit;
import dev.qwm.planning.PlannerBudget;

import java.util.List;

/**
 * The outcome of one MPC episode with everything needed to interpret it on its own: environment, model and
 * planner references, the whole budget, the seeds, and the per-iteration and per-CEM-step metrics.
 *
 * @param successIteration first MPC iteration (0-based) at whose end the goal was reached; -1 if never
 * @param plannerSeed      seed of the planner's random draws (mixed with the episode seed)
 * @param meanCemStepMs    mean wall time of one CEM step (all candidates, whole horizon)
 * @param meanCemStepCpuMs mean CPU time of the planning thread per CEM step (NaN if not measured)
 */
public record EpisodeResult(
        int episodeIndex,
        long episodeSeed,
        DataSplit split,
        String episodeOrigin,
        String environment,
        String modelReference,
        String planner,
        PlannerBudget budget,
        long plannerSeed,
        boolean success,
        int successIteration,
        double finalStateDistance,
        double finalBestLoss,
        int mpcIterations,
        int envSteps,
        long wallTimeMs,
        double meanCemStepMs,
        double meanCemStepCpuMs,
        int cemSteps,
        List<MpcIterationMetrics> iterations,
        List<CemStepMetrics> cemStepMetrics) {

    public EpisodeResult {
        iterations = List.copyOf(iterations);
        cemStepMetrics = List.copyOf(cemStepMetrics);
    }
}
