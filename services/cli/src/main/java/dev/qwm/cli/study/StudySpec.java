package dev.qwm.cli.study;

import dev.qwm.env.EnvironmentKind;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.quant.recipe.CalibrationSettings;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.RecipeIo;
import dev.qwm.quant.recipe.WorldModelModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A study as a user writes it (YAML): one bundle and environment, a grid of recipes (FP, encoder-only,
 * predictor-only, both) times planner budgets (overrides of DINO-WM's defaults), episodes and seeds.
 *
 * <pre>
 * name: wall-bits
 * environment: wall
 * bundle: models/wall
 * episodes: 10
 * seeds: {base: 99, offset: 1, split: validation}
 * budgets: [{max_iter: 5}, {max_iter: 20, opt_steps: 10}]
 * recipes:
 *   - {name: fp32}
 *   - {name: predictor-w4a16-g128, preset: w4a16-g128, modules: predictor}
 *   - {name: predictor-w8a8, preset: w8a8, modules: predictor, calibration_episodes: 8, quant_iter: 1}
 * </pre>
 *
 * <p>{@code log: DIR} (relative to the spec) keeps the study's episode log there ({@link StudyLog}): the study is then
 * named by its {@code name}, and running the spec again, on this stack or a fresh one, goes on with the episodes not
 * yet in the log. A recipe may plan at its own {@code budgets} (instead of the study's) and with its own
 * {@code planner_seed} (full precision again under another seed counts the episodes that flip from planner noise);
 * {@code activations: token|tensor} changes a preset's quantized activations to per-token dynamic or per-tensor
 * static; {@code method} may also name a variant ({@link Presets#VARIANTS}).
 */
public record StudySpec(String name, String environment, String bundle, Integer episodes, Seeds seeds,
                        List<Budget> budgets, List<RecipeEntry> recipes, Long plannerSeed, Boolean evaluateCemSteps,
                        String log) {

    public record Seeds(Long base, Long offset, String split) {
    }

    /** Overrides of DINO-WM's budget for the environment; absent fields keep the default. */
    public record Budget(Integer maxIter, Integer optSteps, Integer samples, Integer topK, Integer horizon,
                         Double varScale, Double objectiveAlpha) {

        /** DINO-WM's budget for {@code environment} with these values, checked once all are applied. */
        public PlannerBudget resolve(String environment) {
            return PlannerBudget.dinoWm(environment).with(new PlannerBudget.Overrides(horizon, samples, topK, varScale,
                    optSteps, maxIter, objectiveAlpha));
        }
    }

    /**
     * One row of the grid: FP (no preset, no recipe file) or a quantization (a preset applied to modules, optionally
     * with a method, or a recipe file).
     */
    public record RecipeEntry(String name, String preset, String modules, String method, String recipe,
                              Integer calibrationEpisodes, Integer quantIter, String activations, List<Budget> budgets,
                              Long plannerSeed) {

        public RecipeEntry(String name, String preset, String modules, String method, String recipe,
                           Integer calibrationEpisodes, Integer quantIter) {
            this(name, preset, modules, method, recipe, calibrationEpisodes, quantIter, null, null, null);
        }

        /**
         * The recipe of a preset entry, as the library builds it (a method variant or an activation granularity
         * included); null for FP and recipe files.
         */
        public Recipe presetRecipe() {
            if (preset == null) {
                return null;
            }
            Recipe r = Presets.recipe(preset, WorldModelModule.parseSelection(modules == null ? "both" : modules),
                    method == null ? "rtn" : method);
            return activations == null ? r
                    : Presets.withActivationGranularity(r, ActivationSpec.Granularity.parse(activations));
        }

        /** Whether the quantizer can take it as a preset and method by name (else it is sent as a recipe). */
        public boolean plainPreset() {
            return preset != null && activations == null
                    && (method == null || !Presets.VARIANTS.contains(method.trim().toLowerCase(Locale.ROOT)));
        }

        public boolean isFullPrecision() {
            return preset == null && recipe == null;
        }

        /**
         * Which components come from the quantized bundle: for a recipe file without {@code modules}, both (its
         * bundle holds the module it leaves in float unchanged). What the cell quantizes is {@link #modulesLabel()}.
         */
        public boolean quantizesEncoder() {
            return !isFullPrecision() && (modules == null || modules.equals("encoder") || modules.equals("both"));
        }

        public boolean quantizesPredictor() {
            return !isFullPrecision() && (modules == null || modules.equals("predictor") || modules.equals("both"));
        }

        /**
         * The modules the cell's recipe quantizes ({@code both}, {@code encoder}, {@code predictor}; {@code -} for FP),
         * read from the recipe itself (the preset's, or the recipe file's {@code modules}) by {@link Recipe#quantizes},
         * the rule the report applies to the artifact's recipe: a recipe file that names only the encoder is
         * {@code encoder} in the table as in the report. Not part of the study's fingerprint, and it does not decide
         * which bundle a component comes from ({@link #quantizesEncoder()}).
         */
        public String modulesLabel() {
            if (isFullPrecision()) {
                return "-";
            }
            Recipe r = preset != null ? presetRecipe() : RecipeIo.read(Path.of(recipe));
            boolean e = r.quantizes(WorldModelModule.ENCODER);
            boolean p = r.quantizes(WorldModelModule.PREDICTOR);
            return e && p ? "both" : e ? "encoder" : p ? "predictor" : "-";
        }
    }

    /** Episodes per configuration: the planner service's limit too. */
    public static final int MAX_EPISODES = 10_000;
    /** Episodes of a whole study (configurations x episodes). */
    public static final int MAX_STUDY_EPISODES = 100_000;
    /** Seeds are 32-bit (numpy's RandomState). */
    static final long MAX_SEED = 0xFFFF_FFFFL;

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Reads and validates a spec, its bundle included; every problem is reported with the file and the field. */
    public static StudySpec read(Path file) {
        return read(file, true);
    }

    /**
     * @param localBundle whether the bundle path is a folder on this machine (the local stack) and is checked here;
     *                    for a remote stack it is a path in that stack's store, checked by the planner service
     */
    public static StudySpec read(Path file, boolean localBundle) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read study spec " + file + ": " + e.getMessage());
        }
        StudySpec spec;
        try {
            spec = YAML.readValue(text, StudySpec.class);
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException(file + ": unknown field '" + e.getPropertyName() + "' at "
                    + path(e) + " (known: " + e.getKnownPropertyIds() + ")");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
        }
        if (spec == null) {
            throw new IllegalArgumentException(file + " is empty");
        }
        Path base = file.toAbsolutePath().getParent();
        return spec.validated(file.toString(), base, localBundle);
    }

    private static String path(UnrecognizedPropertyException e) {
        StringBuilder b = new StringBuilder();
        for (var ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                b.append(b.length() == 0 ? "" : ".").append(ref.getFieldName());
            } else {
                b.append('[').append(ref.getIndex()).append(']');
            }
        }
        return b.length() == 0 ? "top level" : b.toString();
    }

    /** Whether {@code environment} is exactly an environment's name, as a spec must give it. */
    private static boolean known(String environment) {
        return EnvironmentKind.find(environment).filter(k -> k.cliName().equals(environment)).isPresent();
    }

    /** Checks every field; resolves the bundle and recipe paths against the spec's folder if relative. */
    StudySpec validated(String origin, Path base, boolean localBundle) {
        List<String> problems = new ArrayList<>();
        if (name == null || name.isBlank()) {
            problems.add("name is missing");
        }
        if (!known(environment)) {
            problems.add("environment must be wall or pusht, got " + (environment == null ? "nothing" : "'" + environment + "'"));
        }
        if (bundle == null || bundle.isBlank()) {
            problems.add("bundle (the FP model bundle folder) is missing");
        }
        if (episodes == null || episodes < 1 || episodes > MAX_EPISODES) {
            problems.add("episodes (per configuration) must be 1.." + MAX_EPISODES + ", got " + episodes);
        }
        if (seeds != null && seeds.split() != null && !Set.of("validation", "train").contains(seeds.split())) {
            problems.add("seeds.split must be validation or train, got '" + seeds.split() + "'");
        }
        long seedBase = seeds == null || seeds.base() == null ? 99 : seeds.base();
        long seedOffset = seeds == null || seeds.offset() == null ? 1 : seeds.offset();
        if (seedBase < 0 || seedOffset < 0) {
            problems.add("seeds.base and seeds.offset must not be negative (episode n plans seed base*n + offset), got "
                    + seedBase + " and " + seedOffset);
        } else if (episodes != null && episodes >= 1 && episodes <= MAX_EPISODES
                && seedBase * (episodes - 1) + seedOffset > MAX_SEED) {
            problems.add("the last episode's seed " + seedBase + "*" + (episodes - 1) + "+" + seedOffset
                    + " is above " + MAX_SEED + " (seeds are 32-bit)");
        }
        String bundleEnvironment = null;
        if (localBundle && bundle != null && !bundle.isBlank()) {
            Path dir = base.resolve(bundle).normalize();
            if (!Files.isRegularFile(dir.resolve(ModelBundle.MANIFEST_FILE))) {
                problems.add("bundle " + bundle + " is not a model bundle (no " + dir.resolve(ModelBundle.MANIFEST_FILE) + ")");
            } else {
                try {
                    bundleEnvironment = ModelBundle.parseManifest(dir.resolve(ModelBundle.MANIFEST_FILE)).environment();
                } catch (RuntimeException e) {
                    problems.add("bundle " + bundle + ": " + e.getMessage());
                }
            }
        }
        if (bundleEnvironment != null && environment != null && !bundleEnvironment.equals(environment)) {
            problems.add("bundle " + bundle + " is a " + bundleEnvironment + " model, the study is " + environment);
        }
        if (recipes == null || recipes.isEmpty()) {
            problems.add("recipes is empty: list at least {name: fp32}");
        } else {
            Set<String> names = new HashSet<>();
            for (int i = 0; i < recipes.size(); i++) {
                RecipeEntry r = recipes.get(i);
                String where = "recipes[" + i + "]";
                if (r.name() == null || r.name().isBlank()) {
                    problems.add(where + " has no name");
                } else if (!names.add(r.name())) {
                    problems.add(where + ": the name '" + r.name() + "' is used twice");
                }
                if (r.preset() != null && r.recipe() != null) {
                    problems.add(where + ": give either preset or recipe, not both");
                }
                if (r.modules() != null && !Set.of("encoder", "predictor", "both").contains(r.modules())) {
                    problems.add(where + ": modules must be encoder, predictor or both, got '" + r.modules() + "'");
                }
                if (r.calibrationEpisodes() != null && (r.calibrationEpisodes() < 1
                        || r.calibrationEpisodes() > CalibrationSettings.MAX_EPISODES)) {
                    problems.add(where + ": calibration_episodes must be 1.." + CalibrationSettings.MAX_EPISODES + ", got "
                            + r.calibrationEpisodes());
                }
                if (r.quantIter() != null && (r.quantIter() < 1 || r.quantIter() > CalibrationSettings.MAX_QUANT_ITER)) {
                    problems.add(where + ": quant_iter must be 1.." + CalibrationSettings.MAX_QUANT_ITER + ", got " + r.quantIter());
                }
                if (r.isFullPrecision() && (r.modules() != null || r.method() != null || r.activations() != null)) {
                    problems.add(where + ": modules/method/activations without a preset or recipe");
                }
                if (r.recipe() != null && r.activations() != null) {
                    problems.add(where + ": activations goes with a preset; a recipe file names its own");
                }
                if (r.budgets() != null && r.budgets().isEmpty()) {
                    problems.add(where + ": budgets is empty (leave it out for the study's budgets)");
                }
                for (int b = 0; known(environment) && r.budgets() != null && b < r.budgets().size(); b++) {
                    try {
                        r.budgets().get(b).resolve(environment);
                    } catch (IllegalArgumentException e) {
                        problems.add(where + ".budgets[" + b + "]: " + e.getMessage());
                    }
                }
                // what the quantizer service would refuse once the stack is up, refused now
                try {
                    if (r.preset() != null) {
                        r.presetRecipe().validate();
                    } else if (r.recipe() != null) {
                        RecipeIo.read(base.resolve(r.recipe())).validate();
                    }
                } catch (RuntimeException e) {
                    problems.add(where + ": " + e.getMessage());
                }
            }
        }
        int studyBudgets = budgets == null || budgets.isEmpty() ? 1 : budgets.size();
        int cells = recipes == null ? 0 : recipes.stream()
                .mapToInt(r -> r.budgets() == null || r.budgets().isEmpty() ? studyBudgets : r.budgets().size()).sum();
        if (episodes != null && (long) cells * episodes > MAX_STUDY_EPISODES) {
            problems.add(cells + " configurations x " + episodes + " episodes = " + (long) cells * episodes
                    + " episodes; a study has at most " + MAX_STUDY_EPISODES);
        }
        if (known(environment)) {
            for (int i = 0; budgets != null && i < budgets.size(); i++) {
                try {
                    budgets.get(i).resolve(environment);
                } catch (IllegalArgumentException e) {
                    problems.add("budgets[" + i + "]: " + e.getMessage());
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(origin + ": " + String.join("; ", problems));
        }
        List<RecipeEntry> resolvedRecipes = recipes.stream().map(r -> r.recipe() == null ? r
                : new RecipeEntry(r.name(), r.preset(), r.modules(), r.method(), base.resolve(r.recipe()).toString(),
                        r.calibrationEpisodes(), r.quantIter(), r.activations(), r.budgets(), r.plannerSeed())).toList();
        return new StudySpec(name, environment, base.resolve(bundle).normalize().toString(), episodes,
                seeds == null ? new Seeds(99L, 1L, "validation") : new Seeds(
                        seeds.base() == null ? 99L : seeds.base(), seeds.offset() == null ? 1L : seeds.offset(),
                        seeds.split() == null ? "validation" : seeds.split()),
                budgets == null || budgets.isEmpty() ? List.of(new Budget(null, null, null, null, null, null, null)) : budgets,
                resolvedRecipes, plannerSeed == null ? 0L : plannerSeed,
                evaluateCemSteps == null || evaluateCemSteps,
                log == null || log.isBlank() ? null : base.resolve(log).normalize().toString());
    }

    /** One configuration of the grid: a recipe at one budget, with its label and planner seed. */
    public record Cell(RecipeEntry recipe, PlannerBudget budget, String label, long plannerSeed) {
    }

    /**
     * The grid: every recipe at each of its budgets (its own, or the study's), labelled {@code recipe@budget} when the
     * recipe or the study has more than one budget.
     */
    public List<Cell> cells() {
        List<Cell> out = new ArrayList<>();
        boolean manyStudyBudgets = budgets.size() > 1;
        for (RecipeEntry r : recipes) {
            List<Budget> own = r.budgets() == null ? budgets : r.budgets();
            for (Budget budget : own) {
                PlannerBudget b = budget.resolve(environment);
                String label = r.name() + (manyStudyBudgets || own.size() > 1 ? "@" + label(b) : "");
                out.add(new Cell(r, b, label, r.plannerSeed() == null ? plannerSeed : r.plannerSeed()));
            }
        }
        return out;
    }

    /** A short label of a budget for column headers: {@code iter5-opt10}. */
    public static String label(PlannerBudget b) {
        return String.format(Locale.ROOT, "iter%d-opt%d", b.maxIter(), b.optSteps())
                + (b.samples() != 300 ? "-n" + b.samples() : "");
    }

    /**
     * A spec as {@link #toJson()} recorded it with its study (already validated then); empty if it cannot be read
     * back, e.g. recorded by another version of qwm.
     */
    public static java.util.Optional<StudySpec> recorded(JsonNode json) {
        try {
            return java.util.Optional.ofNullable(new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                    .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).treeToValue(json, StudySpec.class))
                    .filter(s -> s.recipes() != null && s.budgets() != null && s.environment() != null);
        } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    public JsonNode toJson() {
        return new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).valueToTree(this);
    }
}
