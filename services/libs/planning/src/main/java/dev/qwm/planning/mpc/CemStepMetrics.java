package dev.qwm.planning.mpc;

/**
 * Metrics after one CEM step of one MPC iteration (as {@code qwm.events.v1.CemStepMetrics}). The current mean
 * plan is executed in a copy of the simulator from the iteration's start state, as DINO-WM's evaluator does with
 * {@code eval_every=1}.
 *
 * @param bestLoss           lowest objective among this step's candidates
 * @param success            whether the mean plan reaches the goal
 * @param stateDistance      the environment's state distance to the goal after the mean plan
 * @param visualDivergence   L2 norm of (imagined final visual latent of the mean plan - encoding of the real one)
 * @param proprioDivergence  the same for the proprio embedding
 * @param nanos              wall time of the CEM step itself (not of this evaluation)
 */
public record CemStepMetrics(int mpcIteration, int cemStep, double bestLoss, boolean success, double stateDistance,
                             double visualDivergence, double proprioDivergence, long nanos) {
}
