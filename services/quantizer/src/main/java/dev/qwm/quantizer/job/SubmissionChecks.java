package dev.qwm.quantizer.job;

import dev.qwm.env.EnvironmentKind;
import dev.qwm.onnx.bundle.BundleException;
import dev.qwm.onnx.bundle.BundleRoots;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.quant.ModuleQuantizer;
import dev.qwm.quant.emit.EmitOptions;
import dev.qwm.quant.recipe.ModuleRecipe;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.RecipeException;
import dev.qwm.quant.recipe.WorldModelModule;
import dev.qwm.quantizer.config.QuantizerConfig;
import dev.qwm.quantizer.recipe.RecipeRequests;
import dev.qwm.quantizer.store.ArtifactStore;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Everything about a submission that can be refused is refused here, before a job exists: the source bundle, the
 * recipe bound to the bundle's graphs, the calibration data. A submission that passes is named by its content key
 * (source, recipe, emit options and calibration budget), which is also its job id and output folder.
 */
public final class SubmissionChecks {

    private final EmitOptions emit;
    private final Optional<Integer> calibrationSamples;
    private final Optional<Integer> calibrationOptSteps;
    private final Map<String, String> datasets;
    private final BundleRoots roots = BundleRoots.configured();

    /**
     * @param calibrationSamples  overrides DINO-WM's CEM candidates of calibration episodes
     * @param calibrationOptSteps overrides DINO-WM's CEM steps of calibration episodes
     * @param datasets            dataset folders by environment, for environments whose goals come from data
     */
    public SubmissionChecks(EmitOptions emit, Optional<Integer> calibrationSamples, Optional<Integer> calibrationOptSteps,
                            Map<String, String> datasets) {
        this.emit = emit;
        this.calibrationSamples = calibrationSamples;
        this.calibrationOptSteps = calibrationOptSteps;
        this.datasets = Map.copyOf(datasets);
    }

    /** The checks of {@code quantizer.*}; an int8 flavour it does not know is refused here, at startup. */
    public static SubmissionChecks of(QuantizerConfig config) {
        EmitOptions.Int8Flavor flavor;
        try {
            flavor = EmitOptions.Int8Flavor.valueOf(config.emit().int8().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("quantizer.emit.int8 must be u8s8 or u8u8, got '" + config.emit().int8() + "'");
        }
        EmitOptions emit = EmitOptions.DEFAULTS.withInt8Flavor(flavor);
        return new SubmissionChecks(emit, config.calibration().samples(), config.calibration().optSteps(),
                config.datasets());
    }

    public EmitOptions emit() {
        return emit;
    }

    /** The model bundle in folder {@code bundle}, or a refusal naming why it cannot be read. */
    public ModelBundle readSource(String bundle) {
        if (bundle == null || bundle.isBlank()) {
            throw new InvalidSubmissionException("no source bundle: give the folder of a model bundle");
        }
        Path dir;
        try {
            dir = roots.resolve(bundle.trim(), "source bundle");
        } catch (IllegalArgumentException e) {
            throw new InvalidSubmissionException(e.getMessage());
        }
        try {
            return ModelBundle.read(dir);
        } catch (BundleException e) {
            throw new InvalidSubmissionException("cannot read source bundle: " + e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw new InvalidSubmissionException("cannot read source bundle " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks {@code recipe} against {@code source}; with {@code calibrate}, a recipe that needs no data is calibrated
     * all the same (its manifest then holds every layer's output error on calibration data).
     *
     * @throws InvalidSubmissionException naming what is wrong
     */
    public Submission check(ModelBundle source, Recipe recipe, boolean calibrate) {
        try {
            recipe.validate();
            for (Map.Entry<WorldModelModule, ModuleRecipe> m : recipe.modules().entrySet()) {
                // binds the recipe to this bundle's graph: a layer pattern that matches nothing, a graph without
                // linear layers, or transforms that disagree on a shared input are refused now, not after an hour
                ModuleQuantizer.prepare(OnnxModels.read(source.componentPath(m.getKey().component())), m.getKey(), m.getValue());
            }
        } catch (RecipeException e) {
            throw new InvalidSubmissionException(e.getMessage(), e);
        } catch (BundleException | UncheckedIOException e) {
            throw new InvalidSubmissionException("cannot read source bundle " + source.directory() + ": " + e.getMessage(), e);
        }
        String environment = source.manifest().environment();
        PlannerBudget budget = null;
        Path dataset = null;
        if (recipe.needsCalibration() || calibrate) {
            budget = calibrationBudget(environment);
            EnvironmentKind kind = EnvironmentKind.parse(environment);
            if (kind.goalsFromDataset()) {
                String configured = datasets.get(kind.cliName());
                dataset = configured == null || configured.isBlank() ? null : Path.of(configured).toAbsolutePath().normalize();
                if (dataset == null || !Files.isDirectory(dataset)) {
                    throw new InvalidSubmissionException("recipe '" + recipe.name() + "' calibrates on FP planning episodes,"
                            + " and PushT's calibration goals come from a dataset's training trajectories, but there is no"
                            + " dataset at " + (dataset == null ? "(none configured)" : dataset) + ": set"
                            + " quantizer.datasets.pusht (QWM_PUSHT_DATASET) or make one with ./qwm dataset --env pusht");
                }
            }
        }
        String canonical = RecipeRequests.canonicalJson(recipe);
        // u8s8 is keyed "AUTO", the name of the default before it stopped depending on the CPU: the files a VNNI CPU
        // wrote under that key are byte for byte today's, and the studies' committed calibrated artifacts keep their ids
        String int8 = emit.int8Flavor() == EmitOptions.Int8Flavor.U8S8 ? "AUTO" : emit.int8Flavor().name();
        String settings = String.format(Locale.ROOT, "emit int8=%s perChannelBlock=%d; calibration %s",
                int8, emit.perChannelBlockSize(), budget == null ? "none" : budget);
        String id = ArtifactStore.key(source, recipe.name(), canonical, settings);
        return new Submission(id, source.directory(), shas(source), recipe, canonical, budget, dataset);
    }

    /** DINO-WM's budget for the environment with the configured overrides. */
    PlannerBudget calibrationBudget(String environment) {
        PlannerBudget budget = PlannerBudget.dinoWm(environment);
        try {
            if (calibrationSamples.isPresent()) {
                int samples = calibrationSamples.get();
                budget = budget.withTopK(Math.min(budget.topK(), samples)).withSamples(samples);
            }
            if (calibrationOptSteps.isPresent()) {
                budget = budget.withOptSteps(calibrationOptSteps.get());
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("quantizer.calibration.* is not a valid planner budget: " + e.getMessage(), e);
        }
        return budget;
    }

    /** The sha256 of each component of {@code b}, by component name. */
    public static Map<String, String> shas(ModelBundle b) {
        Map<String, String> shas = new TreeMap<>();
        b.manifest().components().forEach((name, c) -> shas.put(name, c.sha256()));
        return shas;
    }
}
