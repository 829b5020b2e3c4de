package dev.qwm.planning.cem;

import dev.qwm.planning.ActionBatch;

/**
 * The state of CEM after one step.
 *
 * @param step     0-based step index
 * @param bestLoss lowest objective among this step's candidates
 * @param mean     the refitted mean plan (a batch of one), what MPC would execute if CEM stopped here
 * @param nanos    wall time of the step: sampling, scoring all candidates, refitting
 * @param cpuNanos CPU time of the planning thread in the step (with one ORT thread, the work itself, whatever the
 *                 contention for cores; -1 if the JVM cannot measure it)
 */
public record CemStep(int step, double bestLoss, ActionBatch mean, long nanos, long cpuNanos) {
}
