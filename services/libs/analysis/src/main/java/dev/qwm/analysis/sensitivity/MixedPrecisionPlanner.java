package dev.qwm.analysis.sensitivity;

import dev.qwm.quant.emit.NBitsPacking;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.LayerRule;
import dev.qwm.quant.recipe.ModuleRecipe;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.RecipeIo;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.recipe.WorldModelModule;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Mixed precision under a byte budget: every layer starts at the low weight format, and layers are promoted to the
 * high format in order of the output noise they save per extra byte until the budget is spent (the greedy answer to
 * the knapsack, exact when the promotions fit in order). Output noise is the relative noise power 10^(−SQNR/10) of
 * the layer quantized alone; summed over layers it is a first-order estimate of the module's error. Where the
 * manifests measured a layer at one format only, the other is estimated: SQNR shifts by 6.02 dB per weight bit, and
 * bytes are codes in the kernel's container (3-bit levels in 4-bit storage, 6-bit in 8-bit) plus one float32 scale
 * per channel or group. Measured bytes are used only from weight-only measurements: the suggested recipe keeps
 * activations in floating point, and a layer quantized with integer activations is stored differently. The result is a recipe the quantizer accepts ({@link RecipeIo}).
 */
public final class MixedPrecisionPlanner {

    private static final double DB_PER_BIT = 6.02;

    private MixedPrecisionPlanner() {
    }

    /** One layer's choice. */
    public record LayerChoice(String module, String layer, boolean promoted, long lowBytes, long highBytes,
                              double lowNoise, double highNoise, boolean estimated) {
        public long bytes() {
            return promoted ? highBytes : lowBytes;
        }

        public double noise() {
            return promoted ? highNoise : lowNoise;
        }
    }

    /** The suggestion: a recipe and what it is predicted to cost and save. */
    public record Suggestion(Recipe recipe, String yaml, long budgetBytes, long bytes, long allLowBytes,
                             long allHighBytes, double noise, double allLowNoise, double allHighNoise,
                             List<LayerChoice> layers) {
        public List<LayerChoice> promoted() {
            return layers.stream().filter(LayerChoice::promoted).toList();
        }
    }

    /**
     * @param measured    per-layer errors from one or more manifests (one format or several per layer)
     * @param budgetBytes bytes allowed for the quantized linear layers' weights of the measured modules
     */
    public static Suggestion suggest(List<LayerSensitivity> measured, WeightSpec low, WeightSpec high, long budgetBytes,
                                     QuantMethod method) {
        if (high.bits() <= low.bits()) {
            throw new IllegalArgumentException("the high format " + high + " must have more bits than the low format " + low);
        }
        Map<String, List<LayerSensitivity>> byLayer = new LinkedHashMap<>();
        for (LayerSensitivity s : measured) {
            if (Double.isNaN(s.outputSqnrDb())) {
                continue;
            }
            byLayer.computeIfAbsent(s.module() + "\u0000" + s.layer(), k -> new ArrayList<>()).add(s);
        }
        if (byLayer.isEmpty()) {
            throw new IllegalArgumentException("no layer has a measured output SQNR; cannot rank layers");
        }
        List<LayerChoice> choices = new ArrayList<>();
        for (List<LayerSensitivity> ms : byLayer.values()) {
            LayerSensitivity atLow = at(ms, low);
            LayerSensitivity atHigh = at(ms, high);
            LayerSensitivity any = ms.get(0);
            boolean estimated = atLow == null || atHigh == null;
            double lowNoise = atLow != null ? atLow.relativeNoise() : noiseAt(nearest(ms, low), low);
            double highNoise = atHigh != null ? atHigh.relativeNoise() : noiseAt(nearest(ms, high), high);
            long lowBytes = atLow != null && atLow.weightOnly() && atLow.weightBytes() > 0 ? atLow.weightBytes()
                    : estimateBytes(any, low);
            long highBytes = atHigh != null && atHigh.weightOnly() && atHigh.weightBytes() > 0 ? atHigh.weightBytes()
                    : estimateBytes(any, high);
            choices.add(new LayerChoice(any.module(), any.layer(), false, lowBytes, highBytes, lowNoise, highNoise, estimated));
        }
        long allLow = choices.stream().mapToLong(LayerChoice::lowBytes).sum();
        long allHigh = choices.stream().mapToLong(LayerChoice::highBytes).sum();
        if (budgetBytes < allLow) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "a budget of %d bytes is below the %d bytes of "
                    + "every layer at %s; give at least that", budgetBytes, allLow, low));
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < choices.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingDouble((Integer i) -> -benefitPerByte(choices.get(i)))
                .thenComparing(i -> choices.get(i).layer()));
        long spent = allLow;
        for (int i : order) {
            LayerChoice c = choices.get(i);
            long extra = c.highBytes() - c.lowBytes();
            if (c.lowNoise() - c.highNoise() <= 0 || spent + extra > budgetBytes) {
                continue;
            }
            spent += extra;
            choices.set(i, new LayerChoice(c.module(), c.layer(), true, c.lowBytes(), c.highBytes(), c.lowNoise(),
                    c.highNoise(), c.estimated()));
        }
        Recipe recipe = recipe(choices, low, high, method, budgetBytes);
        return new Suggestion(recipe, yaml(recipe), budgetBytes, spent, allLow, allHigh,
                choices.stream().mapToDouble(LayerChoice::noise).sum(),
                choices.stream().mapToDouble(LayerChoice::lowNoise).sum(),
                choices.stream().mapToDouble(LayerChoice::highNoise).sum(), choices);
    }

    /**
     * The recipe as YAML without the method options that only repeat the defaults (the quantizer fills those in when
     * reading), so the file shows what was chosen.
     */
    public static String yaml(Recipe recipe) {
        var mapper = RecipeIo.jsonMapper();
        com.fasterxml.jackson.databind.JsonNode defaults = mapper.valueToTree(dev.qwm.quant.recipe.MethodOptions.DEFAULTS);
        com.fasterxml.jackson.databind.node.ObjectNode tree = mapper.valueToTree(recipe);
        tree.path("modules").forEach(module -> {
            if (module instanceof com.fasterxml.jackson.databind.node.ObjectNode m && defaults.equals(m.get("options"))) {
                m.remove("options");
            }
        });
        if (mapper.valueToTree(dev.qwm.quant.recipe.CalibrationSettings.DEFAULTS).equals(tree.get("calibration"))) {
            tree.remove("calibration"); // only defaults: weight-only recipes with RTN calibrate nothing
        }
        try {
            String text = YAML.writeValueAsString(tree);
            if (!RecipeIo.fromYaml(text).equals(recipe)) {
                throw new IllegalStateException("the slimmed recipe reads back differently; this is a bug");
            }
            return text;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write the recipe as YAML", e);
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper YAML = new com.fasterxml.jackson.databind.ObjectMapper(
            new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()
                    .disable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private static double benefitPerByte(LayerChoice c) {
        long extra = Math.max(1, c.highBytes() - c.lowBytes());
        return (c.lowNoise() - c.highNoise()) / extra;
    }

    private static Recipe recipe(List<LayerChoice> choices, WeightSpec low, WeightSpec high, QuantMethod method,
                                 long budgetBytes) {
        Map<WorldModelModule, List<LayerRule>> rules = new EnumMap<>(WorldModelModule.class);
        for (LayerChoice c : choices) {
            WorldModelModule module = WorldModelModule.parse(c.module());
            List<LayerRule> list = rules.computeIfAbsent(module, m -> new ArrayList<>());
            if (c.promoted()) {
                list.add(new LayerRule(exactMatch(c.layer()), null, high, null, null, null));
            }
        }
        Map<WorldModelModule, ModuleRecipe> modules = new EnumMap<>(WorldModelModule.class);
        rules.forEach((m, r) -> modules.put(m, new ModuleRecipe(method, low, ActivationSpec.FLOAT, null, r)));
        String name = String.format(Locale.ROOT, "mixed-%s-%s-%dkb", low.toString().toLowerCase(Locale.ROOT),
                high.toString().toLowerCase(Locale.ROOT), budgetBytes / 1024);
        return new Recipe(name, modules, null).validate();
    }

    /** A layer rule pattern matching exactly this name: the glob itself unless the name holds glob characters. */
    public static String exactMatch(String layer) {
        return layer.contains("*") || layer.contains("?") || layer.startsWith("re:") ? "re:" + Pattern.quote(layer) : layer;
    }

    private static LayerSensitivity at(List<LayerSensitivity> ms, WeightSpec spec) {
        return ms.stream().filter(m -> m.weightBits() == spec.bits() && m.groupSize() == spec.groupSize()).findFirst()
                .orElse(null);
    }

    private static LayerSensitivity nearest(List<LayerSensitivity> ms, WeightSpec spec) {
        return ms.stream().min(Comparator.comparingInt((LayerSensitivity m) -> Math.abs(m.weightBits() - spec.bits()))
                .thenComparingInt(m -> m.groupSize() == spec.groupSize() ? 0 : 1)).orElseThrow();
    }

    private static double noiseAt(LayerSensitivity m, WeightSpec spec) {
        double sqnr = m.outputSqnrDb() + DB_PER_BIT * (spec.bits() - m.weightBits());
        return Math.pow(10, -sqnr / 10);
    }

    /** Codes in the kernel's container bits plus one float32 scale per output channel and group. */
    static long estimateBytes(LayerSensitivity layer, WeightSpec spec) {
        long in = layer.inFeatures();
        long out = layer.outFeatures();
        long codes = (in * out * NBitsPacking.containerBits(spec.bits()) + 7) / 8;
        long groupsPerRow = spec.groupSize() == 0 ? 1 : (in + spec.groupSize() - 1) / spec.groupSize();
        return codes + 4 * out * groupsPerRow;
    }
}
