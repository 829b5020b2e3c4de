package dev.qwm.training.train;

import dev.qwm.training.data.TrainingEpisodes;
import dev.qwm.training.model.WorldModelConfig;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything one {@code qwm train} run needs.
 *
 * @param environment      the bundle's environment, as {@link dev.qwm.env.EnvironmentKind#cliName()}
 * @param architecture     model shape; its proprioDim must match the data
 * @param train            training split of the environment's dataset
 * @param validation       validation split (open-loop table)
 * @param encoderData      training splits the shared encoder learns from (e.g. Wall and PushT)
 * @param encoder          encoder stage settings
 * @param predictor        predictor stage settings
 * @param seed             seeds initialisation and batch sampling
 * @param workDir          checkpoints (reused across runs with the same settings)
 * @param outDir           the bundle folder to write
 * @param encoderFrom      a bundle whose visual encoder is the frozen encoder (no encoder stage), or null
 * @param predictorFrom    a bundle whose predictor, proprio and action encoders the predictor stage starts from
 *                         (fine-tuning), or null for a fresh initialisation
 */
public record TrainingPlan(
        String environment,
        WorldModelConfig architecture,
        TrainingEpisodes train,
        TrainingEpisodes validation,
        List<TrainingEpisodes> encoderData,
        EncoderSettings encoder,
        PredictorSettings predictor,
        long seed,
        Path workDir,
        Path outDir,
        Path encoderFrom,
        Path predictorFrom) {

    /** A plan that trains every part from scratch. */
    public TrainingPlan(String environment, WorldModelConfig architecture, TrainingEpisodes train,
                        TrainingEpisodes validation, List<TrainingEpisodes> encoderData, EncoderSettings encoder,
                        PredictorSettings predictor, long seed, Path workDir, Path outDir) {
        this(environment, architecture, train, validation, encoderData, encoder, predictor, seed, workDir, outDir,
                null, null);
    }

    /**
     * @param steps          optimisation steps (0: as many as fit in {@code minutes})
     * @param minutes        time budget when {@code steps} is 0
     * @param batchPairs     positive pairs per batch (the other pairs are the negatives)
     * @param maxGap         positives are 1..maxGap env steps apart
     * @param learningRate   peak learning rate
     * @param initialTau     initial InfoNCE temperature (learnable)
     * @param episodesPerSet episodes of each encoder dataset held in memory (frames are large)
     */
    public record EncoderSettings(long steps, double minutes, int batchPairs, int maxGap, float learningRate,
                                  float initialTau, int episodesPerSet) {
        public static EncoderSettings defaults() {
            return new EncoderSettings(0, 6, 128, 20, 1e-3f, 0.1f, 600);
        }
    }

    /**
     * @param steps        optimisation steps (0: as many as fit in {@code minutes})
     * @param minutes      time budget when {@code steps} is 0
     * @param batch        windows per batch
     * @param learningRate peak learning rate
     * @param weightDecay  decoupled weight decay on matrices
     * @param episodes     training episodes to use (-1: all)
     * @param maxGradNorm  global gradient-norm clip (0: none)
     * @param rolloutSteps macro steps the predictor is rolled out on its own predictions in the loss (1: teacher
     *                     forcing only, as DINO-WM trains; see {@link PredictorStage#rolloutLoss})
     * @param rolloutWeight weight of each rolled-out step's loss against the teacher-forced first step's
     */
    public record PredictorSettings(long steps, double minutes, int batch, float learningRate, float weightDecay,
                                    int episodes, float maxGradNorm, int rolloutSteps, float rolloutWeight) {

        /** Teacher forcing only. */
        public PredictorSettings(long steps, double minutes, int batch, float learningRate, float weightDecay,
                                 int episodes, float maxGradNorm) {
            this(steps, minutes, batch, learningRate, weightDecay, episodes, maxGradNorm, 1, 1f);
        }

        public static PredictorSettings defaults() {
            return new PredictorSettings(0, 15, 64, 3e-3f, 0.01f, -1, 1f);
        }
    }
}
