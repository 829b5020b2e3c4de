package dev.qwm.planning.cem;

import dev.qwm.planning.ActionBatch;

/**
 * A plan: the normalised macro actions (a batch of one), the best loss of the last optimisation step (NaN for
 * planners that do not score), and the wall and planning-thread CPU time of each optimisation step.
 */
public record PlanResult(ActionBatch actions, double bestLoss, double[] stepBestLosses, long[] stepNanos,
                         long[] stepCpuNanos) {

    public long totalNanos() {
        long t = 0;
        for (long n : stepNanos) {
            t += n;
        }
        return t;
    }
}
