package dev.qwm.predictor.inference;

/** How many sessions use a predictor artifact now: its batcher waits for no more rollouts than these. */
@FunctionalInterface
public interface SessionCounts {

    int openOn(String predictorSha256);
}
