package dev.qwm.analysis.data;

/**
 * Metrics after one MPC iteration: success is cumulative; {@code bestLoss} is the best plan loss of the iteration's
 * last CEM step; the divergences are norms of (imagined final latent − encoding of the real final observation).
 */
public record MpcIterationRecord(int mpcIteration, boolean success, double stateDistance, double bestLoss,
                                 double visualDivergence, double proprioDivergence, int envSteps, long planningMs) {
}
