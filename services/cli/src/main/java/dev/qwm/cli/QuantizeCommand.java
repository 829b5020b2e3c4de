package dev.qwm.cli;

import dev.qwm.analysis.report.TextTable;
import dev.qwm.cli.options.BundleOutOptions;
import dev.qwm.cli.options.OrtThreadsOption;
import dev.qwm.cli.options.PredictorCallOption;
import dev.qwm.cli.options.PushtDatasetOption;
import dev.qwm.files.StagedWrite;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.CpuFeatures;
import dev.qwm.onnx.runtime.RunEnvironment;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.eval.EpisodeSources;
import dev.qwm.planning.mpc.EpisodeSpec;
import dev.qwm.planning.mpc.EpisodeResult;
import dev.qwm.planning.mpc.PlanningListener;
import dev.qwm.progress.ProgressLine;
import dev.qwm.quant.ConsoleProgress;
import dev.qwm.quant.ModuleQuantizer;
import dev.qwm.quant.bundle.BundleQuantizer;
import dev.qwm.quant.bundle.PlanningCalibration;
import dev.qwm.quant.emit.EmitOptions;
import dev.qwm.quant.manifest.LayerReport;
import dev.qwm.quant.manifest.ModuleReport;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.AttentionProducts;
import dev.qwm.quant.recipe.CalibrationSettings;
import dev.qwm.quant.recipe.LayerNormOp;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.RecipeIo;
import dev.qwm.quant.recipe.WorldModelModule;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ./qwm quantize}: a model bundle and a recipe (a file, or a named preset applied to some modules) in, a
 * quantized bundle out, with ONNX Runtime's integer kernels where it has them and the manifest of what ran how.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Quantize a world-model bundle (RTN, OMSE, AWQ, SmoothQuant, OmniQuant, GPTQ) into a new bundle "
                + "whose ONNX runs on ONNX Runtime's integer kernels where it has them. Data-aware methods and quantized "
                + "activations calibrate on FP planning episodes (seeds 99n+2, training split).",
                "Examples:",
                "  ./qwm quantize --bundle models/pusht --preset w4a16-g128 --modules predictor --out /tmp/pusht-w4",
                "  ./qwm quantize --bundle models/wall --preset w8a8 --method smoothquant --modules both --out /tmp/wall-w8a8",
                "  ./qwm quantize --bundle models/wall --recipe my-recipe.yaml --out /tmp/wall-q",
                "  ./qwm quantize --preset w4a8 --print-recipe --bundle models/wall --out x   (show the recipe, do nothing)"})
public final class QuantizeCommand implements Callable<Integer> {

    static final class RecipeSource {
        @Option(names = "--recipe", paramLabel = "FILE", description = "A recipe in YAML or JSON.")
        Path recipe;

        @Option(names = "--preset", paramLabel = "NAME", description = "A named recipe: w8a8, w8a16, w6a16, w4a16-g128, w4a16-g32, w4a16, w3a16, w3a16-g32, w4a8, w4a8-g128-kernel, w8a8-kernel.")
        String preset;
    }

    @Mixin
    PushtDatasetOption datasetOption;

    @Mixin
    OrtThreadsOption threadsOption;

    @Mixin
    PredictorCallOption predictorCallOption;

    @Option(names = "--bundle", required = true, paramLabel = "DIR", description = "The float model bundle.")
    Path bundle;

    @ArgGroup(exclusive = true, multiplicity = "1")
    RecipeSource source;

    @Option(names = "--modules", defaultValue = "predictor", description = "With --preset: encoder, predictor or both (default: ${DEFAULT-VALUE}).")
    String modules;

    @Option(names = "--method", defaultValue = "rtn", description = "With --preset: rtn, omse, awq, smoothquant, omniquant, gptq, or omniquant-quantwm (OmniQuant as QuantWM's code ran it: SmoothQuant alpha 0.5 on the encoder, RTN on the predictor) (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--act-granularity", description = "With --preset: tensor (static, calibrated), token (dynamic, no calibration) or kernel (int8 inside MatMulNBits, no calibration) for quantized activations.")
    String actGranularity;

    @Mixin
    BundleOutOptions output;

    @Option(names = "--layer-norm", paramLabel = "OP", description = "Every quantized module's LayerNorms as layer-normalization (as exported, the default) or skip (ONNX Runtime's SkipLayerNormalization with the Add before it fused: 3-5x faster on ORT 1.29's CPU kernels at these widths, and outputs that differ by an ulp or two: the recipe's choice, named -ln-skip).")
    String layerNorm;

    @Option(names = "--attention", paramLabel = "PRODUCTS", description = "Every quantized module's attention products (q·kᵀ and probabilities·v) in float (the default, as QuantWM) or int8 (uint8 q, k, probabilities and v, one static scale and zero point each from calibration, u8×u8 integer products: the recipe's choice, named -attn-int8).")
    String attention;

    @Option(names = "--episodes", description = "Calibration episodes (default: the recipe's, 50).")
    Integer episodes;

    @Option(names = "--quant-iter", description = "MPC iterations per calibration episode (default: the recipe's, 2).")
    Integer quantIter;

    @Option(names = "--samples", description = "CEM candidates per step during calibration (default 300).")
    Integer samples;

    @Option(names = "--opt-steps", description = "CEM steps per plan during calibration (default: wall 10, pusht 30).")
    Integer optSteps;

    // int8 activations inside MatMulNBits change what the model computes: a recipe choice, no longer an emit option
    @Option(names = "--accuracy-level", hidden = true)
    Integer accuracyLevel;

    @Option(names = "--int8", defaultValue = "u8s8", description = "How 8-bit weights that meet 8-bit activations are stored: u8s8 (int8 codes; the same file on every CPU, run as u8×u8 where u8×s8 is not exact on the CPU that loads it) or u8u8 (uint8 codes + 128) (default: ${DEFAULT-VALUE}).")
    String int8;

    @Option(names = "--measure", description = "Calibrate even when the recipe needs no data, to report each layer's output error (SQNR) on calibration data.")
    boolean measure;

    @Option(names = "--print-recipe", description = "Print the resolved recipe as YAML and stop.")
    boolean printRecipe;

    @Option(names = "--json", description = "Print the quantization manifest (JSON) instead of the tables.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        predictorCallOption.apply();
        if (accuracyLevel != null) {
            throw new IllegalArgumentException("--accuracy-level is gone: the recipe alone fixes what a model computes. "
                    + "A16 runs MatMulNBits on float activations (accuracy_level 0) on every CPU; for int8 activations "
                    + "inside the kernel (accuracy_level 4) ask for them: --preset w4a8-g128-kernel, or an A8 preset with "
                    + "--act-granularity kernel, or activations: {bits: 8, granularity: kernel} in a recipe");
        }
        Recipe recipe = recipe();
        if (printRecipe) {
            System.out.print(RecipeIo.toYaml(recipe));
            return 0;
        }
        // refused before calibration; a quantized bundle never replaces (or goes inside) its source
        Path out = output.out();
        StagedWrite target = output.target().source(bundle, "--bundle")
                .source(datasetOption.given(), "--dataset").check();
        ModelBundle fp = ModelBundle.read(bundle);
        String environment = fp.manifest().environment();
        EmitOptions emit = new EmitOptions(EmitOptions.Int8Flavor.valueOf(int8.toUpperCase(Locale.ROOT)), 128, false);
        ModuleQuantizer.Options options = new ModuleQuantizer.Options(emit, threadsOption.sessionConfig(),
                new ConsoleProgress(System.err));
        CpuFeatures cpu = CpuFeatures.current();
        System.err.printf(Locale.ROOT, "qwm quantize: %s (%s) with recipe %s; on %s: %s%n", fp.manifest().name(), environment,
                recipe.name(), RunEnvironment.of(cpu, options.ort()).describe(), cpu.summary());
        PlanningCalibration calibration = null;
        ProgressLine bar = null;
        if (recipe.needsCalibration() || measure) {
            PlannerBudget budget = PlannerBudget.dinoWm(environment);
            if (samples != null) {
                budget = budget.withTopK(Math.min(budget.topK(), samples)).withSamples(samples);
            }
            if (optSteps != null) {
                budget = budget.withOptSteps(optSteps);
            }
            CalibrationSettings c = recipe.calibration();
            System.err.printf(Locale.ROOT, "calibration: %d FP planning episodes (seeds %d·n+%d, %s split), %d MPC iterations each, %d×%d CEM%n",
                    c.episodes(), c.seedStride(), c.seedOffset(), c.split(), c.quantIter(), budget.samples(), budget.optSteps());
            bar = ProgressLine.on(System.err).task("calibrate").total(c.episodes()).unit("ep").start();
            ProgressLine progress = bar;
            calibration = new PlanningCalibration(EpisodeSources.forBundle(fp.manifest(), datasetOption.resolve(environment, "training")),
                    budget, new PlanningListener() {
                        @Override
                        public void onEpisodeStarted(EpisodeSpec episode) {
                            progress.message("seed " + episode.seed());
                        }

                        @Override
                        public void onEpisodeCompleted(EpisodeResult result) {
                            progress.step();
                            if (progress.current() >= progress.total()) {
                                progress.close(); // calibration done: the quantization bars follow
                            }
                        }
                    });
        }
        BundleQuantizer.Result result;
        try {
            result = BundleQuantizer.quantize(fp, recipe, calibration, target, options);
        } finally {
            if (bar != null) {
                bar.close();
            }
        }
        if (json) {
            System.out.println(result.manifest().toJson());
            return 0;
        }
        for (ModuleReport m : result.manifest().modules()) {
            boolean int8Gemm = m.layers().stream().anyMatch(l -> l.kernel() != null && l.kernel().weightStorage().startsWith("uint8 (code"));
            System.out.printf(Locale.ROOT, "%n%s (%s): weights %s → %s (%.3f×), file %s → %s%s%n",
                    m.module(), m.component(), kib(m.weightBytesBefore()), kib(m.weightBytesAfter()),
                    (double) m.weightBytesAfter() / m.weightBytesBefore(), kib(m.bytesBefore()), kib(m.bytesAfter()),
                    int8Gemm ? "; 8-bit weights stored u8 (+128): u8×u8 GEMM, exact without VNNI" : "");
            TextTable t = new TextTable("layer", "method", "format", "groups/row", "kernel", "emulated", "weight MSE",
                    "output SQNR dB", "input max/median", "weight crest");
            for (LayerReport l : m.layers()) {
                t.row(l.layer(), l.method(), l.weights() + " " + l.activations(), l.groupsDescription(),
                        l.kernel() == null ? "-" : l.kernel().kernel(),
                        l.kernel() != null && l.kernel().emulated() ? "yes" : "no", String.format(Locale.ROOT, "%.3g", l.weightMse()),
                        fixed(l.outputSqnrDb()), fixed(l.inputChannelRatio()), fixed(l.weightRowCrest()));
            }
            t.print(System.out);
            System.out.printf(Locale.ROOT, "  median over %d layers: output SQNR %s dB, input max/median %s, weight crest %s"
                            + " (input max/median: largest input channel's max|x| over the median channel's, on"
                            + " calibration data; weight crest: a row's max|w|/rms(w))%n", m.layers().size(),
                    fixed(median(m.layers(), LayerReport::outputSqnrDb)), fixed(median(m.layers(), LayerReport::inputChannelRatio)),
                    fixed(median(m.layers(), LayerReport::weightRowCrest)));
            m.groups().forEach(g -> System.out.printf(Locale.ROOT, "  %s on %s: %s%n", g.method(), g.layerNorm(),
                    g.applied() ? g.detail() + (g.error() == null ? "" : String.format(Locale.ROOT,
                            ", objective %.4g → %.4g", g.baselineError(), g.error())) : "not applied: " + g.reason()));
            if (m.skipLayerNorms() != null) {
                System.out.printf(Locale.ROOT, "  LayerNorms run as SkipLayerNormalization (recipe layerNorm: skip): %d%n",
                        m.skipLayerNorms().size());
            }
            if (m.attention() != null) {
                System.out.printf(Locale.ROOT, "  attention products in int8 (recipe attention: int8): %d cores%s, %s%n",
                        m.attention().size(), m.attention().stream().anyMatch(a -> a.masked()) ? " (masked)" : "",
                        dev.qwm.quant.manifest.AttentionReport.KERNEL);
            }
            System.out.println("  ONNX Runtime runs: " + m.runtimeOps());
            if (m.unfusedDequantize() > 0) {
                System.out.println("  warning: " + m.unfusedDequantize() + " DequantizeLinear left unfused (float MatMul)");
            }
            var choices = result.manifest().kernelChoices() == null ? null : result.manifest().kernelChoices().get(m.component());
            if (choices != null && !choices.layers().isEmpty()) {
                System.out.println("  kernels at load on this CPU (measured; the same numbers either way): " + describe(choices));
            }
        }
        System.out.printf("%nwrote %s: %s (manifest: %s)%n", out, result.bundle().reference(), out.resolve(BundleQuantizer.MANIFEST_FILE));
        return 0;
    }

    private static String fixed(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }

    /** The median of a per-layer figure over the layers that have it; null when none has. */
    private static Double median(java.util.List<LayerReport> layers, java.util.function.Function<LayerReport, Double> f) {
        double[] v = layers.stream().map(f).filter(java.util.Objects::nonNull).mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length == 0 ? null : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private Recipe recipe() {
        Recipe r;
        if (source.recipe != null) {
            r = RecipeIo.read(source.recipe);
        } else {
            r = Presets.recipe(source.preset, WorldModelModule.parseSelection(modules), method);
            if (actGranularity != null) {
                r = Presets.withActivationGranularity(r, ActivationSpec.Granularity.parse(actGranularity));
            }
        }
        if (layerNorm != null) {
            r = Presets.withLayerNorm(r, LayerNormOp.parse(layerNorm));
        }
        if (attention != null) {
            r = Presets.withAttention(r, AttentionProducts.parse(attention));
        }
        if (episodes != null || quantIter != null) {
            CalibrationSettings c = r.calibration();
            r = new Recipe(r.name(), r.modules(), new CalibrationSettings(episodes != null ? episodes : c.episodes(),
                    quantIter != null ? quantIter : c.quantIter(), c.split(), c.seedStride(), c.seedOffset(),
                    c.rowsPerTensor(), c.rowsPerBatch(), c.snapshots(), c.samplingSeed()));
        }
        return r.validate();
    }

    private static String kib(long bytes) {
        return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }

    /** "2× MatMulNBits kept, 6× MatMulNBits as float MatMul": what the sessions run on this CPU, per kind of layer. */
    static String describe(dev.qwm.onnx.kernel.KernelChoice.Choices c) {
        java.util.Map<String, Long> chosen = new java.util.TreeMap<>();
        c.layers().forEach(l -> chosen.merge(l.stored().equals(l.chosen()) ? l.stored() + " kept"
                : l.stored() + " run as " + l.chosen(), 1L, Long::sum));
        StringBuilder b = new StringBuilder();
        chosen.forEach((k, n) -> b.append(b.length() == 0 ? "" : ", ").append(n).append("× ").append(k));
        return b.toString();
    }
}
