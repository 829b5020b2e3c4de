package dev.qwm.analysis.data;

import dev.qwm.onnx.runtime.RunEnvironment;
import dev.qwm.planning.PlannerBudget;

/**
 * A completed episode as the collector reports it (its winning {@code EpisodeCompleted}): the requested
 * configuration (environment, encoder and predictor artifacts, budget, seeding, configuration label) and the result
 * of the completed attempt.
 *
 * @param successIteration first MPC iteration (0-based) at whose end the goal was reached; −1 if never
 * @param meanCemStepMs    mean wall time of one CEM step (all candidates, whole horizon)
 * @param ranOn            where the predictor service computed the rollouts; null when the events did not say
 * @param encoderRanOn     where the encoder service computed the latents; null when the events did not say
 */
public record EpisodeRecord(int index, String environment, ArtifactRef encoder, ArtifactRef predictor,
                            PlannerBudget budget, Seeding seeding, String configuration, boolean success,
                            int successIteration, double finalStateDistance, double finalBestLoss, int mpcIterations,
                            long wallTimeMs, double meanCemStepMs, String attemptId, String workerId,
                            RunEnvironment ranOn, RunEnvironment encoderRanOn) {

    /** An episode whose events did not say where it ran (before EpisodeCompleted.ran_on). */
    public EpisodeRecord(int index, String environment, ArtifactRef encoder, ArtifactRef predictor,
                         PlannerBudget budget, Seeding seeding, String configuration, boolean success,
                         int successIteration, double finalStateDistance, double finalBestLoss, int mpcIterations,
                         long wallTimeMs, double meanCemStepMs, String attemptId, String workerId) {
        this(index, environment, encoder, predictor, budget, seeding, configuration, success, successIteration,
                finalStateDistance, finalBestLoss, mpcIterations, wallTimeMs, meanCemStepMs, attemptId, workerId, null,
                null);
    }

    public EpisodeRecord {
        if (index < 0) {
            throw new IllegalArgumentException("episode index is negative: " + index);
        }
        environment = environment == null ? "" : environment;
        configuration = configuration == null ? "" : configuration;
        encoder = encoder == null ? new ArtifactRef(null, null, null, null) : encoder;
        predictor = predictor == null ? new ArtifactRef(null, null, null, null) : predictor;
        if (budget == null) {
            throw new IllegalArgumentException("episode " + index + " has no planner budget");
        }
        if (seeding == null) {
            throw new IllegalArgumentException("episode " + index + " has no seeding");
        }
    }

    /** Whether the goal was reached within the first {@code iterations} MPC iterations. */
    public boolean succeededWithin(int iterations) {
        return success && successIteration >= 0 && successIteration < iterations;
    }
}
