package dev.qwm.training.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.Provenance;
import dev.qwm.training.eval.OpenLoopEvaluation;
import dev.qwm.training.model.WorldModelConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The provenance of a bundle {@link WorldModelTrainer} trained: what it was trained on, how, and what it measured.
 *
 * @param created       when it was written (ISO-8601)
 * @param gitCommit     the repository's commit, as {@code git describe} gave it
 * @param parameters    trainable parameters per component
 * @param cemStepGflop  GFLOP of one CEM step of 300 candidates over 5 macro steps
 * @param wallSeconds   the whole training's wall time
 * @param latentGeometry Wall only (null elsewhere): latent distance against position distance
 * @param openLoop      open-loop latent error of the model and of copying the last frame, at 1.. macro steps
 * @param exportParity  the ONNX export against the DJL model
 * @param cemStep       one CEM step timed in ONNX Runtime on the training machine
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainingProvenance(String kind, String created, String gitCommit, String command, long seed,
                                 WorldModelConfig architecture, Map<String, Long> parameters, double cemStepGflop,
                                 Data data, Stage encoder, Stage predictor, OpenLoopEvaluation.Table openLoop,
                                 double wallSeconds, LatentGeometry latentGeometry, ExportCheck exportParity,
                                 CemStepCost cemStep)
        implements Provenance {

    public static final String KIND = "training";

    public TrainingProvenance {
        if (!KIND.equals(kind)) {
            throw new IllegalArgumentException("kind must be \"" + KIND + "\", got " + kind);
        }
    }

    /** {@code m}'s provenance if training made it. */
    public static Optional<TrainingProvenance> of(BundleManifest m) {
        return Provenance.read(m, KIND, TrainingProvenance.class);
    }

    /**
     * @param train         the training split, described
     * @param trainChecksum checksum over the training split's episodes
     * @param encoder       the datasets the encoder was trained on, described
     */
    public record Data(String train, String trainChecksum, String validation, List<String> encoder) {
    }

    /**
     * One training stage (encoder or predictor).
     *
     * @param settings     the stage's settings as the plan held them ({@link TrainingPlan.EncoderSettings} or
     *                     {@link TrainingPlan.PredictorSettings} in the version that trained it: a later version's
     *                     fields are absent from an older bundle)
     * @param key          the encoder's checkpoint key (encoder stage only)
     * @param from         the bundle the stage started from (frozen encoder or fine-tuned predictor), or null
     * @param finalPoint   the last point of the loss curve
     * @param curve        means over windows of steps, at most ~60 points
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Stage(String objective, JsonNode settings, String key, String from, long steps, double seconds,
                        long skippedSteps, @JsonProperty("final") Map<String, Double> finalPoint,
                        List<Map<String, Double>> curve) {
    }

    /**
     * @param distancesPx                   position distances measured at
     * @param meanLatentMse                 mean latent MSE at each distance
     * @param monotoneShare                 share of lines whose MSE rises at every distance
     * @param acrossWallOverWithinRoom16px  latent MSE across the wall over within a room, 16 px apart
     */
    public record LatentGeometry(double[] distancesPx, double[] meanLatentMse, double monotoneShare,
                                 double acrossWallOverWithinRoom16px, int lines) {
    }

    /** Largest absolute difference between the ONNX components and the DJL model. */
    public record ExportCheck(double maxAbsDiffVisual, double maxAbsDiffProprio, double maxAbsDiffAction,
                               double maxAbsDiffPredictor) {
    }

    public record CemStepCost(int candidates, int horizon, double gflop, double msMin1Thread, double msMedian1Thread) {
    }
}
