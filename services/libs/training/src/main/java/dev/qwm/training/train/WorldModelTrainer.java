package dev.qwm.training.train;

import dev.qwm.env.EnvironmentKind;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.cem.CemStepTimer;
import dev.qwm.training.data.DatasetStatistics;
import dev.qwm.env.dataset.Episode;
import dev.qwm.training.data.Episodes;
import dev.qwm.training.data.TrainingEpisodes;
import dev.qwm.training.data.LatentEpisode;
import dev.qwm.training.eval.ExportParity;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.training.eval.WallLatentGeometry;
import dev.qwm.training.eval.OpenLoopEvaluation;
import dev.qwm.training.export.ModelWeights;
import dev.qwm.training.export.OnnxExporter;
import dev.qwm.training.model.Normalization;
import dev.qwm.training.model.StepEmbedding;
import dev.qwm.training.model.DjlWorldModel;
import dev.qwm.training.model.WorldModelConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole {@code qwm train} pipeline for one environment:
 * <ol>
 *   <li>normalisation statistics from the training split;</li>
 *   <li>the visual encoder, pre-trained with temporal InfoNCE on frames of every encoder dataset, then frozen
 *       (a finished encoder with the same settings is reused, so Wall and PushT share one);</li>
 *   <li>the frozen encoder's latents of every training frame;</li>
 *   <li>predictor, proprio and action encoders by teacher forcing on those latents;</li>
 *   <li>export of the four ONNX components into a bundle whose {@code provenance} is the training manifest;</li>
 *   <li>the open-loop table on the validation split, measured on the exported bundle with ONNX Runtime.</li>
 * </ol>
 * Both stages checkpoint into the work directory and resume after an interruption.
 */
public final class WorldModelTrainer {

    /** What a run produced. */
    public record Result(ModelBundle bundle, OpenLoopEvaluation.Table openLoop, TrainLoop.Outcome encoder,
                         TrainLoop.Outcome predictor) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintStream log;

    public WorldModelTrainer(PrintStream log) {
        this.log = log;
    }

    public Result run(TrainingPlan plan) throws IOException {
        long started = System.nanoTime();
        WorldModelConfig c = plan.architecture();
        TrainingEpisodes train = plan.train();
        if (train.proprioDim() != c.proprioDim() || train.imageSize() != c.imageSize()
                || train.actionDim() * c.frameskip() != c.actionDim()) {
            throw new IllegalArgumentException(train.describe() + " has images " + train.imageSize() + " px, proprio "
                    + train.proprioDim() + "-D, actions " + train.actionDim() + "-D; the model expects " + c.imageSize()
                    + " px, " + c.proprioDim() + "-D, " + c.actionDim() / c.frameskip() + "-D");
        }
        Normalization norm = DatasetStatistics.compute(train, c.frameskip());
        String trainChecksum = train.checksum();
        Engine.getInstance().setRandomSeed((int) plan.seed());
        try (NDManager manager = NDManager.newBaseManager()) {
            DjlWorldModel model = DjlWorldModel.create(c, norm, manager);
            long[] counts = {DjlWorldModel.parameterCount(model.encoder()), DjlWorldModel.parameterCount(model.proprioEncoder()),
                    DjlWorldModel.parameterCount(model.actionEncoder()), DjlWorldModel.parameterCount(model.predictor())};
            log.printf("model: %d tokens of %d-D, predictor tokens %d-D, numHist %d; parameters: encoder %,d, proprio %,d, "
                            + "action %,d, predictor %,d%n", c.numPatches(), c.latentDim(), c.tokenDim(), c.numHist(),
                    counts[0], counts[1], counts[2], counts[3]);
            log.printf("one CEM step (300 x horizon 5): %.2f GFLOP%n", CostModel.cemStepGflop(c, 300, 5));

            // 2. encoder
            EncoderRun enc = plan.encoderFrom() != null ? bundleEncoder(plan, model) : trainEncoder(plan, model, manager);
            if (plan.predictorFrom() != null) {
                ModelBundle from = ModelBundle.read(plan.predictorFrom());
                ModelWeights init = ModelWeights.read(from, c, true);
                requireSameNormalization(from, init.normalization(), norm);
                init.copyDynamicsInto(model);
                int have = init.predictor().blocks().size();
                log.printf("predictor, proprio and action encoders start from %s%s%n", plan.predictorFrom(),
                        have < c.predictorDepth() ? " (its " + have + " predictor blocks; blocks " + (have + 1) + ".."
                                + c.predictorDepth() + " start as the identity)" : "");
            }

            // 3. latents
            List<LatentEpisode> latents = LatentEncoding.encode(model, train, plan.predictor().episodes(), log);

            // 4. predictor
            Map<String, Object> predSettings = predictorSettings(plan, enc.key);
            Path predDir = predictorDir(plan, predSettings);
            PredictorStage stage = new PredictorStage(model, latents, plan.predictor().batch(),
                    plan.predictor().weightDecay(), plan.predictor().maxGradNorm(), plan.seed(),
                    plan.predictor().rolloutSteps(), plan.predictor().rolloutWeight());
            log.printf("predictor: %,d training windows from %,d episodes; checkpoints in %s%n", stage.windows(),
                    latents.size(), predDir);
            TrainLoop loop = new TrainLoop("predictor", predDir, predSettings, plan.predictor().learningRate(), 200, 10, log);
            TrainLoop.Outcome pred = loop.run(stage, plan.predictor().steps(), plan.predictor().minutes());
            if (pred.resumed()) {
                model.load(loop.checkpointDir());
            }
            latents = null;

            // 5. export
            ModelWeights weights = ModelWeights.of(model);
            BundleManifest manifest = manifest(plan, c, norm, null);
            ModelBundle.Writer writer = ModelBundle.writer(manifest);
            OnnxExporter.exportAll(weights).forEach(writer::component);
            // the caller decided whether plan.outDir() may be replaced (./qwm train checks it before training, --force)
            ModelBundle bundle = writer.write(ModelBundle.target(plan.outDir(), "--out").force(true));

            // 6. open-loop table on the exported model
            List<Episode> val = new ArrayList<>();
            plan.validation().forEach(200, true, val::add);
            OpenLoopEvaluation.Table table;
            WallLatentGeometry.Report geometry = null;
            CemStepTimer.Timing cem;
            ExportParity.Result parity;
            try (OnnxWorldModel wm = OnnxWorldModel.open(bundle, SessionConfig.singleThreaded())) {
                parity = ExportParity.check(model, wm, val.get(0));
                log.printf("DJL vs ONNX Runtime on validation data, max |difference|: encoder %.1e, proprio %.1e, "
                        + "action %.1e, predictor %.1e%n", parity.visual(), parity.proprio(), parity.action(), parity.predictor());
                if (parity.max() > 1e-4) {
                    throw new IllegalStateException("the exported ONNX model differs from the DJL model by " + parity.max()
                            + " (> 1e-4) on validation data");
                }
                table = OpenLoopEvaluation.evaluate(wm, val, 5, c.frameskip());
                log.print(table.format());
                if (EnvironmentKind.parse(plan.environment()) == EnvironmentKind.WALL) {
                    geometry = WallLatentGeometry.measure(wm, 80, plan.seed());
                    log.print(geometry.format());
                }
            }
            // timed on the planning library's path, as ./qwm bench and ./qwm eval run it
            try (dev.qwm.planning.onnx.OnnxWorldModel planning = dev.qwm.planning.onnx.OnnxWorldModel.open(bundle,
                    SessionConfig.singleThreaded())) {
                cem = CemStepTimer.measure(planning, 300, 5, 5);
                log.printf("one CEM step (300 x 5) in ONNX Runtime, 1 thread: %.0f ms (median %.0f ms), %.2f GFLOP%n",
                        cem.minMs(), cem.medianMs(), CostModel.cemStepGflop(c, 300, 5));
            }

            double seconds = (System.nanoTime() - started) / 1e9;
            TrainingProvenance provenance = new TrainingProvenance(TrainingProvenance.KIND, Instant.now().toString(),
                    GitInfo.describe(plan.outDir()), "qwm train --env " + plan.environment() + " (see settings)",
                    plan.seed(), c, ModelWeights.byComponent(counts), CostModel.cemStepGflop(c, 300, 5), data(plan, trainChecksum),
                    encoderStage(plan, enc), predictorStage(plan, pred),
                    table, seconds,
                    geometry == null ? null : new TrainingProvenance.LatentGeometry(WallLatentGeometry.DISTANCES,
                            geometry.meanMse(), geometry.monotoneShare(), geometry.acrossWithin(), geometry.lines()),
                    new TrainingProvenance.ExportCheck(parity.visual(), parity.proprio(), parity.action(),
                            parity.predictor()),
                    new TrainingProvenance.CemStepCost(300, 5, CostModel.cemStepGflop(c, 300, 5), cem.minMs(),
                            cem.medianMs()));
            ModelBundle.Writer rewrite = ModelBundle.writer(manifest(plan, c, norm, provenance));
            for (String name : BundleManifest.REQUIRED_COMPONENTS) {
                rewrite.component(name, bundle.componentPath(name));
            }
            bundle = rewrite.write(ModelBundle.target(plan.outDir(), "--out").force(true));
            log.printf("wrote %s (%s) in %.1f min%n", plan.outDir(), bundle.reference(), seconds / 60);
            return new Result(bundle, table, enc.outcome, pred);
        }
    }

    private record EncoderRun(String key, Path dir, TrainLoop.Outcome outcome, List<String> data) {
    }

    /** The frozen encoder taken from a bundle: nothing is trained; its key names the bundle's encoder file. */
    private EncoderRun bundleEncoder(TrainingPlan plan, DjlWorldModel model) throws IOException {
        ModelBundle from = ModelBundle.read(plan.encoderFrom());
        // Only the encoder is taken: the bundle's predictor may have another depth than the one to train.
        ModelWeights.read(from, plan.architecture(), true).copyEncoderInto(model);
        log.printf("encoder: the frozen visual encoder of %s%n", plan.encoderFrom());
        return new EncoderRun(encoderKey(plan), plan.encoderFrom(), new TrainLoop.Outcome(0, 0, List.of(), true, 0),
                List.of(plan.encoderFrom().toString()));
    }

    /** A predictor started from a bundle must see its inputs normalised as that bundle was trained. */
    private static void requireSameNormalization(ModelBundle from, Normalization bundle, Normalization data) {
        String[] names = {"proprio mean", "proprio std", "action mean", "action std"};
        float[][] a = {bundle.proprioMean(), bundle.proprioStd(), bundle.actionMean(), bundle.actionStd()};
        float[][] b = {data.proprioMean(), data.proprioStd(), data.actionMean(), data.actionStd()};
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < a[k].length; i++) {
                if (Math.abs(a[k][i] - b[k][i]) > 1e-4 * Math.max(1, Math.abs(b[k][i]))) {
                    throw new IllegalArgumentException(from.directory() + " was trained on data with another " + names[k]
                            + " (" + a[k][i] + " vs " + b[k][i] + " here): start it on the data it was trained on");
                }
            }
        }
    }

    private EncoderRun trainEncoder(TrainingPlan plan, DjlWorldModel model, NDManager manager) throws IOException {
        Map<String, Object> settings = encoderSettings(plan);
        @SuppressWarnings("unchecked")
        List<String> data = (List<String>) settings.get("data");
        String key = key(settings);
        Path dir = plan.workDir().resolve("encoder-" + key);
        TrainLoop loop = new TrainLoop("encoder", dir, settings, plan.encoder().learningRate(), 200, 10, log);
        TrainLoop.Outcome outcome;
        if (loop.isFinished()) {
            outcome = loop.run(null, 0, 0); // returns the recorded outcome without training
        } else {
            List<List<Episode>> sets = new ArrayList<>();
            for (TrainingEpisodes s : plan.encoderData()) {
                List<Episode> eps = new ArrayList<>();
                s.forEach(plan.encoder().episodesPerSet(), true, eps::add);
                log.printf("encoder data: %d episodes of %s%n", eps.size(), s.describe());
                sets.add(eps);
            }
            TemporalContrastiveStage stage = new TemporalContrastiveStage(model.encoder(), manager, sets,
                    plan.encoder().batchPairs(), plan.encoder().maxGap(), plan.encoder().initialTau(), plan.seed());
            outcome = loop.run(stage, plan.encoder().steps(), plan.encoder().minutes());
        }
        model.loadEncoder(loop.checkpointDir().resolve("encoder.params"));
        return new EncoderRun(key, dir, outcome, data);
    }

    /** The bundle's manifest; {@code provenance} is null for the first write, before anything was measured on it. */
    private static BundleManifest manifest(TrainingPlan plan, WorldModelConfig c, Normalization n,
                                           TrainingProvenance provenance) {
        return new BundleManifest(BundleManifest.FORMAT, "qwm-" + plan.environment() + "-small", plan.environment(),
                c.imageSize(), "qwm", c.patchSize(), c.numPatches(), c.latentDim(), c.proprioDim(), c.proprioEmbDim(),
                c.actionDim(), c.actionEmbDim(), c.numHist(), c.frameskip(), doubles(n.actionMean()),
                doubles(n.actionStd()), doubles(n.proprioMean()), doubles(n.proprioStd()), Map.of(),
                provenance == null ? null : provenance.toJson());
    }

    private static TrainingProvenance.Data data(TrainingPlan plan, String trainChecksum) {
        return new TrainingProvenance.Data(plan.train().describe(), trainChecksum, plan.validation().describe(),
                plan.encoderData().stream().map(TrainingEpisodes::describe).toList());
    }

    private static TrainingProvenance.Stage encoderStage(TrainingPlan plan, EncoderRun enc) {
        return stage("temporal InfoNCE: positives 1.." + plan.encoder().maxGap() + " env steps apart in one"
                        + " trajectory, similarity -MSE(patch latents)/tau, learnable tau", JSON.valueToTree(plan.encoder()),
                enc.key, plan.encoderFrom(), enc.outcome);
    }

    private static TrainingProvenance.Stage predictorStage(TrainingPlan plan, TrainLoop.Outcome pred) {
        String objective = plan.predictor().rolloutSteps() == 1
                ? "teacher forcing: MSE of next-frame visual latent and proprio embedding (DINO-WM)"
                : "teacher forcing, then a rollout of " + plan.predictor().rolloutSteps() + " macro steps on the"
                + " predictor's own predictions (weight " + plan.predictor().rolloutWeight() + " per rolled-out step):"
                + " MSE of each step's visual latent and proprio embedding";
        return stage(objective, JSON.valueToTree(plan.predictor()), null, plan.predictorFrom(), pred);
    }

    /** Steps, time, final losses and a loss curve of at most ~60 points. */
    private static TrainingProvenance.Stage stage(String objective, JsonNode settings, String key, Path from,
                                                  TrainLoop.Outcome o) {
        List<Map<String, Double>> curve = o.curve();
        List<Map<String, Double>> points = null;
        if (!curve.isEmpty()) {
            points = new ArrayList<>();
            int stride = Math.max(1, curve.size() / 60);
            for (int i = 0; i < curve.size(); i += stride) {
                points.add(curve.get(i));
            }
        }
        return new TrainingProvenance.Stage(objective, settings, key, from == null ? null : from.toString(),
                o.steps(), o.seconds(), o.skippedSteps(), curve.isEmpty() ? null : curve.get(curve.size() - 1),
                points);
    }

    private static double[] doubles(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }


    /** What defines the encoder stage: architecture, data, settings, seed (not the environment: it is shared). */
    static Map<String, Object> encoderSettings(TrainingPlan plan) throws IOException {
        WorldModelConfig c = plan.architecture();
        List<String> data = new ArrayList<>();
        for (TrainingEpisodes s : plan.encoderData()) {
            if (s.imageSize() != c.imageSize()) {
                throw new IllegalArgumentException("encoder data " + s.describe() + " has " + s.imageSize()
                        + "-px frames, the model takes " + c.imageSize());
            }
            data.add(s.checksum());
        }
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("encoder", List.of(c.imageSize(), c.patchSize(), c.latentDim(), c.encoderDepth(), c.encoderHeads(),
                c.encoderMlpDim()));
        settings.put("data", data);
        settings.put("settings", plan.encoder());
        settings.put("seed", plan.seed());
        return settings;
    }

    /** The encoder's stage key: the hash of its settings, or, taken from a bundle, that file's digest. */
    static String encoderKey(TrainingPlan plan) throws IOException {
        if (plan.encoderFrom() != null) {
            return "bundle-" + ModelBundle.read(plan.encoderFrom()).manifest().components()
                    .get(OnnxExporter.VISUAL_ENCODER).sha256().substring(0, 12);
        }
        return key(encoderSettings(plan));
    }

    static Map<String, Object> predictorSettings(TrainingPlan plan, String encoderKey) throws IOException {
        Map<String, Object> settings = new LinkedHashMap<>();
        if (plan.predictorFrom() != null) {
            // The starting weights define the run: named by the digests of the three files they come from.
            var components = ModelBundle.read(plan.predictorFrom()).manifest().components();
            List<String> init = new ArrayList<>();
            for (String name : List.of(OnnxExporter.PROPRIO_ENCODER, OnnxExporter.ACTION_ENCODER, OnnxExporter.PREDICTOR)) {
                init.add(components.get(name).sha256());
            }
            settings.put("init", init);
        }
        settings.put("environment", plan.environment());
        settings.put("architecture", plan.architecture());
        settings.put("encoder", encoderKey);
        settings.put("data", plan.train().checksum());
        settings.put("settings", plan.predictor());
        settings.put("embeddingInit", StepEmbedding.INIT);
        settings.put("seed", plan.seed());
        return settings;
    }

    private static Path predictorDir(TrainingPlan plan, Map<String, Object> settings) {
        return plan.workDir().resolve("predictor-" + plan.environment() + "-" + key(settings));
    }

    /** Deletes the checkpoints of this plan's encoder and predictor stages (for {@code --fresh}). */
    public static void deleteCheckpoints(TrainingPlan plan, PrintStream log) throws IOException {
        String encKey = encoderKey(plan);
        for (Path dir : List.of(plan.workDir().resolve("encoder-" + encKey),
                predictorDir(plan, predictorSettings(plan, encKey)))) {
            if (Files.exists(dir)) {
                try (var walk = Files.walk(dir)) {
                    for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
                log.println("deleted checkpoints " + dir);
            }
        }
    }

    /** A short stable hash of the settings, naming the checkpoint directory. */
    static String key(Map<String, Object> settings) {
        try {
            byte[] json = JSON.writeValueAsString(settings).getBytes(StandardCharsets.UTF_8);
            return ModelBundle.sha256(json).substring(0, 12);
        } catch (Exception e) {
            throw new IllegalStateException("cannot hash settings: " + e.getMessage(), e);
        }
    }
}
