package dev.qwm.planning.eval;

import dev.qwm.planning.DataSplit;

/**
 * The episodes of an evaluation and how they run: episode n uses seed {@code seedBase * n + seedOffset}
 * (QuantWM: 99n+1 on the validation split for evaluation, 99n+2 on the training split for calibration).
 *
 * @param plannerSeed      seed of CEM's draws, mixed with each episode's seed
 * @param evaluateCemSteps execute CEM's mean plan after every step for per-step metrics (DINO-WM's eval_every=1)
 * @param workers          episodes run in parallel, each worker with its own world model
 */
public record EvaluationSettings(int episodes, long seedBase, long seedOffset, DataSplit split, long plannerSeed,
                                 boolean evaluateCemSteps, int workers) {

    public EvaluationSettings {
        if (episodes < 1) {
            throw new IllegalArgumentException("episodes must be >= 1, got " + episodes);
        }
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
        if (split == null) {
            throw new IllegalArgumentException("split is missing");
        }
    }

    /** QuantWM's evaluation: 50 episodes, seeds 99n+1, validation split. */
    public static EvaluationSettings evaluation(int episodes) {
        return new EvaluationSettings(episodes, 99, 1, DataSplit.VALIDATION, 0, true, 1);
    }

    /** QuantWM's calibration episodes: seeds 99n+2, training split. */
    public static EvaluationSettings calibration(int episodes) {
        return new EvaluationSettings(episodes, 99, 2, DataSplit.TRAIN, 0, true, 1);
    }

    public long seedOf(int episodeIndex) {
        return seedBase * episodeIndex + seedOffset;
    }

    public EvaluationSettings withPlannerSeed(long seed) {
        return new EvaluationSettings(episodes, seedBase, seedOffset, split, seed, evaluateCemSteps, workers);
    }

    public EvaluationSettings withWorkers(int n) {
        return new EvaluationSettings(episodes, seedBase, seedOffset, split, plannerSeed, evaluateCemSteps, n);
    }

    public EvaluationSettings withCemStepEvaluation(boolean on) {
        return new EvaluationSettings(episodes, seedBase, seedOffset, split, plannerSeed, on, workers);
    }
}
