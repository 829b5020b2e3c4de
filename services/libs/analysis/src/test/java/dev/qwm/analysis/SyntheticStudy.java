package dev.qwm.analysis;

import dev.qwm.analysis.data.ArtifactRecord;
import dev.qwm.analysis.data.ArtifactRef;
import dev.qwm.analysis.data.CemStepRecord;
import dev.qwm.analysis.data.EpisodeRecord;
import dev.qwm.analysis.data.EpisodeTrace;
import dev.qwm.analysis.data.MpcIterationRecord;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.analysis.data.Seeding;
import dev.qwm.analysis.data.StudyInfo;
import dev.qwm.analysis.data.StudySnapshot;
import dev.qwm.analysis.drift.RolloutDrift;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.ModuleRecipe;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.RecipeIo;
import dev.qwm.quant.recipe.WorldModelModule;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A hand-made study with the shape of QuantWM's Wall study (FP, W8A8, W6A16, W4A16 per channel and g128, W3A16,
 * encoder-only and predictor-only W4, SmoothQuant W8A8 per token; two MPC budgets), for tests and the example report.
 * Outcomes are drawn from a simple model, not measured: each episode has a difficulty shared by all configurations
 * (so outcomes pair), a configuration solves the episodes below its quality; a "misaligned" configuration's plan loss
 * keeps falling while its state distance stops improving.
 */
public final class SyntheticStudy {

    /** Where the synthetic episodes say they ran. */
    public static final dev.qwm.onnx.runtime.RunEnvironment RAN_ON = new dev.qwm.onnx.runtime.RunEnvironment(
            "AMD EPYC 7B12", "avx2", "avx2+ fma+ avx512f- avx512_vnni-", "1.29.0", "cpu", 1);


    /** One configuration of the synthetic study. */
    public record Config(String label, String preset, String modules, QuantMethod method, boolean tokenActivations,
                         double quality, boolean misaligned, double msPerCemStep) {
    }

    public static final PlannerBudget DEFAULT_BUDGET = new PlannerBudget(5, 300, 30, 1, 10, 50, 1, 5);
    public static final PlannerBudget SMALL_BUDGET = new PlannerBudget(5, 300, 30, 1, 10, 12, 1, 5);
    static final long FP_ENCODER_BYTES = 3_400_000;
    static final long FP_PREDICTOR_BYTES = 6_900_000;

    public static List<Config> wallConfigs() {
        return List.of(
                new Config("fp32", null, "both", QuantMethod.RTN, false, 0.92, false, 118),
                new Config("both/w8a8/rtn", "w8a8", "both", QuantMethod.RTN, false, 0.90, false, 71),
                new Config("both/w8a8-token/smoothquant", "w8a8", "both", QuantMethod.SMOOTHQUANT, true, 0.86, false, 84),
                new Config("both/w6a16/rtn", "w6a16", "both", QuantMethod.RTN, false, 0.88, false, 96),
                new Config("both/w4a16/rtn", "w4a16", "both", QuantMethod.RTN, false, 0.45, false, 88),
                new Config("both/w4a16-g128/rtn", "w4a16-g128", "both", QuantMethod.RTN, false, 0.70, false, 90),
                new Config("both/w3a16/rtn", "w3a16", "both", QuantMethod.RTN, false, 0.12, true, 93),
                new Config("encoder/w4a16/rtn", "w4a16", "encoder", QuantMethod.RTN, false, 0.40, true, 104),
                new Config("predictor/w4a16/rtn", "w4a16", "predictor", QuantMethod.RTN, false, 0.84, false, 97));
    }

    public static StudySnapshot wall(int episodesPerConfig) {
        return build("synthetic-wall", "Wall example (synthetic data)", wallConfigs(),
                List.of(DEFAULT_BUDGET, SMALL_BUDGET), episodesPerConfig, true);
    }

    /** A small study for the HTTP round trip: few configurations and episodes, traces included. */
    public static StudySnapshot small() {
        return build("small", "small", wallConfigs().subList(0, 3), List.of(DEFAULT_BUDGET), 6, true);
    }

    public static StudySnapshot build(String id, String name, List<Config> configs, List<PlannerBudget> budgets,
                                      int episodesPerConfig, boolean traces) {
        List<EpisodeRecord> episodes = new ArrayList<>();
        Map<Integer, EpisodeTrace> traceMap = new LinkedHashMap<>();
        Map<String, ArtifactRecord> artifacts = new LinkedHashMap<>();
        ArtifactRecord fpEncoder = artifact(artifacts, "wall-fp32", "encoder", FP_ENCODER_BYTES, null, null);
        ArtifactRecord fpPredictor = artifact(artifacts, "wall-fp32", "predictor", FP_PREDICTOR_BYTES, null, null);
        int index = 0;
        for (PlannerBudget budget : budgets) {
            for (Config c : configs) {
                ArtifactRecord enc = fpEncoder;
                ArtifactRecord pred = fpPredictor;
                if (c.preset() != null) {
                    String recipe = RecipeIo.toJson(recipe(c));
                    double ratio = bitsOf(c.preset()) / 32.0 * 1.04;
                    if (!c.modules().equals("predictor")) {
                        enc = artifact(artifacts, "wall-" + c.label(), "encoder", (long) (FP_ENCODER_BYTES * ratio), fpEncoder, recipe);
                    }
                    if (!c.modules().equals("encoder")) {
                        pred = artifact(artifacts, "wall-" + c.label(), "predictor", (long) (FP_PREDICTOR_BYTES * ratio), fpPredictor, recipe);
                    }
                }
                Random noise = new Random(c.label().hashCode() * 31L + budget.maxIter());
                for (int n = 0; n < episodesPerConfig; n++) {
                    long seed = 99L * n + 1;
                    double difficulty = new java.util.SplittableRandom(seed).nextDouble(); // mixes close seeds, unlike Random
                    boolean solvable = difficulty < c.quality() + 0.04 * (noise.nextDouble() - 0.5);
                    int needed = solvable ? (int) Math.floor(2 + difficulty / Math.max(0.05, c.quality()) * 20) : -1;
                    boolean success = solvable && needed < budget.maxIter();
                    int iterations = success ? needed + 1 : budget.maxIter();
                    double d0 = 12 + 20 * difficulty;
                    List<MpcIterationRecord> mpc = new ArrayList<>();
                    List<CemStepRecord> cem = new ArrayList<>();
                    double loss0 = 0.02 * d0 * d0;
                    double lastDistance = d0;
                    double lastLoss = loss0;
                    for (int k = 0; k < iterations; k++) {
                        double distance = success ? d0 + (3.5 - d0) * (k + 1.0) / (needed + 1)
                                : Math.max(d0 * (0.55 + 0.3 * (1 - c.quality())), d0 * Math.pow(0.9, k + 1));
                        double loss = c.misaligned() ? loss0 * Math.pow(0.9, k + 1)
                                : 0.02 * distance * distance * (1 + 0.05 * noise.nextGaussian());
                        boolean reached = success && k == needed;
                        double divergence = (1 - c.quality()) * 2 + 0.1 * noise.nextDouble();
                        mpc.add(new MpcIterationRecord(k, reached, distance, loss, divergence, divergence / 5, 25 * (k + 1),
                                (long) (c.msPerCemStep() * budget.optSteps())));
                        for (int j = 0; j < budget.optSteps(); j++) {
                            double f = Math.exp(-j / 2.5);
                            double stepLoss = loss + (lastLoss - loss) * f + 0.3 * loss * f;
                            double stepDistance = distance + (lastDistance - distance) * f * (c.misaligned() ? 0.2 : 1);
                            boolean stepSuccess = reached && j >= budget.optSteps() / 2;
                            cem.add(new CemStepRecord(k, j, stepLoss, stepSuccess, stepDistance, divergence, divergence / 5));
                        }
                        lastDistance = distance;
                        lastLoss = loss;
                    }
                    double jitter = 1 + 0.08 * noise.nextGaussian();
                    episodes.add(new EpisodeRecord(index, "wall", enc.artifact(), pred.artifact(), budget,
                            new Seeding(seed, 99, 1, "validation"), c.label(), success, success ? needed : -1,
                            lastDistance, lastLoss, iterations,
                            (long) (iterations * budget.optSteps() * c.msPerCemStep() * jitter + 40L * iterations),
                            c.msPerCemStep() * jitter, "attempt-" + index, "worker-" + (index % 3), RAN_ON, RAN_ON));
                    if (traces) {
                        traceMap.put(index, new EpisodeTrace("attempt-" + index, mpc, cem));
                    }
                    index++;
                }
            }
        }
        int successes = (int) episodes.stream().filter(EpisodeRecord::success).count();
        StudyInfo info = new StudyInfo(id, name, "{\"name\":\"" + name + "\",\"environment\":\"wall\"}", episodes.size(),
                episodes.size(), successes, 1_770_000_000_000L);
        return new StudySnapshot(info, episodes, traceMap, new ArrayList<>(artifacts.values()));
    }

    /**
     * Drift curves shaped like the study's qualities: error grows with the horizon and with 1 − quality; FP has no
     * drift against itself, so it only has a curve against the real encodings.
     */
    public static List<RolloutDrift> drift(List<Config> configs) {
        List<RolloutDrift> out = new ArrayList<>();
        for (Config c : configs) {
            double[] fp = new double[5];
            double[] real = new double[5];
            for (int h = 1; h <= 5; h++) {
                fp[h - 1] = 0.02 * (1 - c.quality()) * Math.pow(h, 1.5);
                real[h - 1] = 0.004 * h + fp[h - 1];
            }
            if (c.preset() != null) {
                out.add(new RolloutDrift("wall", c.label(), RolloutDrift.Reference.FULL_PRECISION, fp, 32));
            }
            out.add(new RolloutDrift("wall", c.label(), RolloutDrift.Reference.REAL, real, 32));
        }
        return out;
    }

    /** The quantizer's preset for the configuration, with per-token activations where it says so. */
    static Recipe recipe(Config c) {
        Recipe preset = Presets.recipe(c.preset(), WorldModelModule.parseSelection(c.modules()), c.method());
        if (!c.tokenActivations()) {
            return preset;
        }
        Map<WorldModelModule, ModuleRecipe> modules = new EnumMap<>(WorldModelModule.class);
        preset.modules().forEach((m, r) -> modules.put(m, new ModuleRecipe(r.method(), r.weights(),
                ActivationSpec.of(r.activations().bits(), ActivationSpec.Granularity.TOKEN), null, null)));
        return new Recipe(preset.name() + "-token", modules, null).validate();
    }

    private static int bitsOf(String preset) {
        return Integer.parseInt(preset.substring(1, preset.indexOf('a')));
    }

    private static ArtifactRecord artifact(Map<String, ArtifactRecord> artifacts, String label, String component,
                                           long bytes, ArtifactRecord source, String recipe) {
        String sha = ModelBundle.sha256((label + "/" + component).getBytes(StandardCharsets.UTF_8));
        return artifacts.computeIfAbsent(sha, s -> new ArtifactRecord(new ArtifactRef(s, component, "models/" + label, label),
                source == null ? null : source.artifact(), bytes, recipe));
    }

    private SyntheticStudy() {
    }
}
