package dev.qwm.analysis.data;

/**
 * Metrics after one CEM step of one MPC iteration: the lowest loss among the candidates, and the outcome of executing
 * the current mean plan in the real simulator from the iteration's start.
 */
public record CemStepRecord(int mpcIteration, int cemStep, double bestLoss, boolean success, double stateDistance,
                            double visualDivergence, double proprioDivergence) {
}
