package dev.qwm.env.eval;

import dev.qwm.env.EnvironmentKind;

/** Draws evaluation start/goal pairs the way DINO-WM does for a task; the same seed always gives the same pair. */
public interface StartGoalSource {

    EnvironmentKind kind();

    StartGoal sample(long seed);

    /** DINO-WM's evaluation seed for episode n (plan.py: seed 99, {@code seed * n + 1}). */
    static long evalSeed(int n) {
        return 99L * n + 1;
    }

    /** The seed of calibration/statistics episode n ({@code seed * n + 2}). */
    static long calibrationSeed(int n) {
        return 99L * n + 2;
    }
}
