package dev.qwm.planner.client;

import java.time.Duration;

/**
 * How long the planner waits for the predictor. A fixed deadline is right for the shipped models (a Rollout of 300
 * candidates is 5 GFLOP) and wrong for DINO-WM's size (1,000 GFLOP for 8 candidates: minutes on a loaded 2-core
 * machine, failing every attempt). So a Rollout gets the base deadline plus its work at a floor pace, the work being
 * what the predictor reported for its artifact when the session opened.
 *
 * @param base        the deadline of any call, and of a Rollout beyond its work
 * @param minGflops   the slowest pace (GFLOP/s) at which a Rollout is still waited for
 */
public record RolloutDeadline(Duration base, double minGflops) {

    public RolloutDeadline {
        if (base.isNegative() || base.isZero()) {
            throw new IllegalArgumentException("planner.rollout-deadline must be positive, got " + base);
        }
        if (!(minGflops > 0) || Double.isInfinite(minGflops)) {
            throw new IllegalArgumentException("planner.rollout-min-gflops must be a positive number, got " + minGflops);
        }
    }

    /**
     * @param gflopPerCandidateStep what the predictor reported for the session's artifact (0: unknown)
     */
    public Duration forRollout(double gflopPerCandidateStep, int candidates, int horizon) {
        double seconds = Math.max(0, gflopPerCandidateStep) * candidates * horizon / minGflops;
        return base.plus(Duration.ofMillis((long) Math.ceil(Math.min(seconds, 86_400) * 1000)));
    }
}
