package dev.qwm.cli;

import dev.qwm.cli.options.BundleOutOptions;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.dataset.Split;
import dev.qwm.training.data.TrainingEpisodes;
import dev.qwm.training.data.QwmDataset;
import dev.qwm.training.model.WorldModelConfig;
import dev.qwm.training.train.TrainingPlan;
import dev.qwm.training.train.WorldModelTrainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./qwm train --env wall|pusht --data DIR --out DIR}: trains a DINO-WM-architecture world model on CPU with
 * DJL (encoder by temporal InfoNCE, then predictor by teacher forcing), exports it as an ONNX bundle and prints the
 * open-loop table. Checkpoints go to {@code --work}; an interrupted run resumes, a finished stage is reused.
 */
@Command(name = "train",
        description = {"Train a world model (ViT encoder by temporal InfoNCE, then DINO-WM predictor) and write an ONNX bundle.",
                "Example: ./qwm train --env wall --data .qwm/data/wall --encoder-data .qwm/data/wall,.qwm/data/pusht --out models/wall"})
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--env", required = true, description = "wall or pusht.")
    String env;

    @Option(names = "--data", required = true, description = "Dataset directory of this environment (./qwm dataset).")
    Path data;

    @Option(names = "--encoder-data", split = ",",
            description = "Dataset directories the shared encoder learns from (default: --data only).")
    List<Path> encoderData;

    @Mixin
    BundleOutOptions output;

    @Option(names = "--work", description = "Checkpoint directory (default: $QWM_HOME/.qwm/train).")
    Path work;

    @Option(names = "--steps", defaultValue = "0", description = "Predictor steps (0: use --minutes).")
    long steps;

    @Option(names = "--minutes", defaultValue = "12", description = "Predictor time budget when --steps is 0 (default: ${DEFAULT-VALUE}).")
    double minutes;

    @Option(names = "--encoder-steps", defaultValue = "0", description = "Encoder steps (0: use --encoder-minutes).")
    long encoderSteps;

    @Option(names = "--encoder-minutes", defaultValue = "6", description = "Encoder time budget when --encoder-steps is 0 (default: ${DEFAULT-VALUE}).")
    double encoderMinutes;

    @Option(names = "--num-hist", description = "History frames of the predictor (default: wall 1, pusht 3).")
    Integer numHist;

    @Option(names = "--pred-depth", defaultValue = "2", description = "Predictor blocks (default: ${DEFAULT-VALUE}).")
    int predDepth;

    @Option(names = "--pred-heads", defaultValue = "4", description = "Predictor attention heads (default: ${DEFAULT-VALUE}).")
    int predHeads;

    @Option(names = "--pred-head-dim", defaultValue = "16", description = "Predictor width per head (default: ${DEFAULT-VALUE}).")
    int predHeadDim;

    @Option(names = "--pred-mlp", defaultValue = "168", description = "Predictor MLP width (default: ${DEFAULT-VALUE}).")
    int predMlp;

    @Option(names = "--batch", defaultValue = "64", description = "Predictor batch (windows; default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "3e-3", description = "Predictor peak learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--clip", defaultValue = "1", description = "Predictor global gradient-norm clip, 0 for none (default: ${DEFAULT-VALUE}).")
    float clip;

    @Option(names = "--encoder-batch", defaultValue = "128", description = "Encoder positive pairs per batch (default: ${DEFAULT-VALUE}).")
    int encoderBatch;

    @Option(names = "--encoder-lr", defaultValue = "1e-3", description = "Encoder peak learning rate (default: ${DEFAULT-VALUE}).")
    float encoderLr;

    @Option(names = "--max-gap", defaultValue = "20", description = "InfoNCE positives are 1..N env steps apart (default: ${DEFAULT-VALUE}).")
    int maxGap;

    @Option(names = "--encoder-episodes", defaultValue = "600", description = "Episodes per encoder dataset held in memory (default: ${DEFAULT-VALUE}).")
    int encoderEpisodes;

    @Option(names = "--episodes", defaultValue = "-1", description = "Training episodes for the predictor (-1: all).")
    int episodes;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of initialisation and batch sampling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--rollout-steps", defaultValue = "1", description = "Predictor loss over a rollout of K macro "
            + "steps on its own predictions, as CEM rolls it out (1: teacher forcing only; default: ${DEFAULT-VALUE}).")
    int rolloutSteps;

    @Option(names = "--rollout-weight", defaultValue = "1", description = "Weight of each rolled-out step's loss "
            + "against the teacher-forced first step's (default: ${DEFAULT-VALUE}: the mean over all steps).")
    float rolloutWeight;

    @Option(names = "--encoder-from", description = "Take the frozen visual encoder from this bundle (written by "
            + "./qwm train) instead of training one; the encoder options are then unused.")
    Path encoderFrom;

    @Option(names = "--predictor-from", description = "Start the predictor, proprio and action encoders from this "
            + "bundle's (fine-tuning; it must have been trained on data with the same statistics). With a deeper "
            + "--pred-depth than the bundle's, the extra blocks start as the identity.")
    Path predictorFrom;

    @Option(names = "--fresh", description = "Delete this run's checkpoints first instead of resuming.")
    boolean fresh;

    @Override
    public Integer call() throws Exception {
        configureDjl();
        EnvironmentKind kind = EnvironmentKind.find(env).orElseThrow(() -> new IllegalArgumentException(
                "--env must be wall or pusht, got " + env));
        String environment = kind.cliName();
        // refused now, not after hours of training
        Path out = output.out();
        output.target().source(data, "--data").source(encoderFrom, "--encoder-from")
                .source(predictorFrom, "--predictor-from").check();
        QwmDataset train = QwmDataset.open(data, Split.TRAIN);
        if (!train.environment().equals(environment)) {
            throw new IllegalArgumentException(data + " is a " + train.environment() + " dataset, not " + environment);
        }
        QwmDataset validation = QwmDataset.open(data, Split.VALIDATION);
        List<TrainingEpisodes> encoderSources = new ArrayList<>();
        for (Path p : encoderData == null || encoderData.isEmpty() ? List.of(data) : encoderData) {
            encoderSources.add(QwmDataset.open(p, Split.TRAIN));
        }
        int hist = numHist != null ? numHist : kind == EnvironmentKind.WALL ? 1 : 3;
        WorldModelConfig base = WorldModelConfig.small(train.proprioDim(), hist);
        WorldModelConfig config = new WorldModelConfig(base.imageSize(), base.patchSize(), base.latentDim(),
                base.encoderDepth(), base.encoderHeads(), base.encoderMlpDim(), base.proprioDim(), base.proprioEmbDim(),
                base.actionDim(), base.actionEmbDim(), predDepth, predHeads, predHeadDim, predMlp, hist, base.frameskip());
        Path workDir = work != null ? work : Path.of(System.getenv().getOrDefault("QWM_HOME", ".")).resolve(".qwm/train");
        TrainingPlan plan = new TrainingPlan(environment, config, train, validation, encoderSources,
                new TrainingPlan.EncoderSettings(encoderSteps, encoderMinutes, encoderBatch, maxGap, encoderLr, 0.1f,
                        encoderEpisodes),
                new TrainingPlan.PredictorSettings(steps, minutes, batch, lr, 0.01f, episodes, clip, rolloutSteps,
                        rolloutWeight),
                seed, workDir, out, encoderFrom, predictorFrom);
        if (fresh) {
            WorldModelTrainer.deleteCheckpoints(plan, System.err);
        }
        Files.createDirectories(workDir);
        new WorldModelTrainer(System.err).run(plan);
        return 0;
    }

    /**
     * DJL must run offline (nothing can be downloaded here) with one intra-op thread (2 shared cores); the
     * properties are read when the engine first loads, so set them before any DJL class is touched.
     */
    static void configureDjl() {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        System.setProperty("ai.djl.pytorch.num_threads", System.getProperty("ai.djl.pytorch.num_threads", "1"));
        System.setProperty("ai.djl.pytorch.num_interop_threads",
                System.getProperty("ai.djl.pytorch.num_interop_threads", "1"));
    }
}
