package dev.qwm.predictor.service;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Objective;

/**
 * One planner's rollout session: the predictor artifact it rolls out with, the start latent every candidate starts
 * from, and the goal latent and objective every candidate is scored against. Idle longer than {@code ttlNanos}, it
 * expires.
 *
 * @param predictor the resolved predictor reference (sha256 and bundle), so an evicted artifact can be reloaded
 * @param actionDim the predictor's macro-action dimension
 */
public record RolloutSession(String id, ArtifactRef encoder, ArtifactRef predictor, int actionDim, Latent start,
                             Latent goal, Objective objective, long ttlNanos, LastUse lastUse) {

    /** When the session was last used, on the registry's clock. */
    public static final class LastUse {
        private volatile long nanos;

        LastUse(long nanos) {
            this.nanos = nanos;
        }

        long nanos() {
            return nanos;
        }

        void touch(long now) {
            nanos = now;
        }
    }

    boolean expired(long now) {
        return now - lastUse.nanos() > ttlNanos;
    }
}
