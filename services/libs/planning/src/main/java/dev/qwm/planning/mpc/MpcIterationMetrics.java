package dev.qwm.planning.mpc;

/**
 * Metrics after one MPC iteration (as {@code qwm.events.v1.MpcIterationMetrics}): the planned macro actions were
 * executed in the real environment.
 *
 * @param success            cumulative: reached the goal at this or an earlier iteration boundary
 * @param stateDistance      state distance to the goal now
 * @param bestLoss           best loss of the plan's last CEM step (NaN for the random planner)
 * @param visualDivergence   L2 norm of (open-loop imagined latent after all executed actions, from the episode's
 *                           first observation, as DINO-WM's evaluator - encoding of the real observation now)
 * @param proprioDivergence  the same for the proprio embedding
 * @param envSteps           env steps executed so far in the episode
 * @param planningNanos      wall time of this iteration's plan (all CEM steps)
 */
public record MpcIterationMetrics(int mpcIteration, boolean success, double stateDistance, double bestLoss,
                                  double visualDivergence, double proprioDivergence, int envSteps,
                                  long planningNanos) {
}
