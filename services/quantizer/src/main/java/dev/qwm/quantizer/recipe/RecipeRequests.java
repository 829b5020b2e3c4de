package dev.qwm.quantizer.recipe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.api.quantizer.v1.QuantizerApi;
import dev.qwm.quant.recipe.AttentionProducts;
import dev.qwm.quant.recipe.LayerNormOp;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.RecipeException;
import dev.qwm.quant.recipe.RecipeIo;
import dev.qwm.quant.recipe.WorldModelModule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Turns what a client sends (a {@code qwm.quantizer.v1.Recipe}, a preset with modules, or a recipe in YAML) into the
 * quantization library's {@link Recipe}. Every path ends in {@link RecipeIo#fromJson}, so every recipe is validated by
 * the library and refused with the library's messages (5-bit weights, a group of 100, an unknown option...). Problems
 * are {@link RecipeException}s.
 */
public final class RecipeRequests {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern INTEGER = Pattern.compile("-?\\d+");
    private static final Pattern DECIMAL = Pattern.compile("-?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?");

    /** Sorted keys, no indentation: the same recipe always gives the same text (and so the same content key). */
    private static final ObjectMapper CANONICAL = RecipeIo.jsonMapper().copy()
            .disable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private RecipeRequests() {
    }

    /**
     * The recipe of a gRPC submission: {@code preset} + {@code preset_modules} (the method and method parameters may
     * come from {@code recipe.modules}, calibration settings from {@code recipe.calibration}), or a full
     * {@code recipe}.
     */
    public static Recipe fromSubmission(String preset, List<ModelComponent> presetModules,
                                        QuantizerApi.Recipe recipe) {
        if (!preset.isBlank()) {
            return fromPreset(preset, presetModules, recipe);
        }
        if (!presetModules.isEmpty()) {
            throw new RecipeException("preset_modules is given without a preset; name a preset (w8a8, w4a16-g128, ...)"
                    + " or give a full recipe");
        }
        if (recipe.getModulesCount() == 0) {
            throw new RecipeException("no recipe: give a preset (" + String.join(", ", Presets.names())
                    + ") with its modules, or a recipe with at least one module");
        }
        return fromProto(recipe);
    }

    /** The recipe of an HTTP submission: a preset with modules (and method), or a recipe in YAML/JSON. */
    public static Recipe fromHttp(String preset, String modules, String method, String recipeYaml,
                                  Integer episodes, Integer quantIter) {
        boolean hasPreset = preset != null && !preset.isBlank();
        boolean hasYaml = recipeYaml != null && !recipeYaml.isBlank();
        if (hasPreset && hasYaml) {
            throw new RecipeException("give either a preset or recipe_yaml, not both");
        }
        Recipe r;
        if (hasPreset) {
            if (modules == null || modules.isBlank()) {
                throw new RecipeException("preset '" + preset + "' needs modules: encoder, predictor or both");
            }
            r = Presets.recipe(preset, WorldModelModule.parseSelection(modules),
                    method == null || method.isBlank() ? QuantMethod.RTN
                            : QuantMethod.parse(method));
        } else if (hasYaml) {
            if ((modules != null && !modules.isBlank()) || (method != null && !method.isBlank())) {
                throw new RecipeException("modules and method go with a preset; recipe_yaml names its own modules and methods");
            }
            r = RecipeIo.fromYaml(recipeYaml);
        } else {
            throw new RecipeException("no recipe: give a preset (" + String.join(", ", Presets.names())
                    + ") with its modules, or recipe_yaml");
        }
        if (episodes == null && quantIter == null) {
            return r;
        }
        ObjectNode tree = tree(r);
        ObjectNode calibration = calibrationNode(tree);
        if (episodes != null) {
            calibration.put("episodes", episodes);
        }
        if (quantIter != null) {
            calibration.put("quantIter", quantIter);
        }
        return RecipeIo.fromJson(tree.toString());
    }

    /** The recipe as sorted, unindented JSON: equal recipes give equal text. */
    public static String canonicalJson(Recipe recipe) {
        try {
            // through plain maps, whose entries ORDER_MAP_ENTRIES_BY_KEYS sorts at every level
            return CANONICAL.writeValueAsString(CANONICAL.readValue(RecipeIo.toJson(recipe), Object.class));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise recipe " + recipe.name(), e);
        }
    }

    private static Recipe fromPreset(String preset, List<ModelComponent> presetModules, QuantizerApi.Recipe recipe) {
        if (presetModules.isEmpty()) {
            throw new RecipeException("preset '" + preset + "' needs modules: encoder, predictor or both");
        }
        Set<WorldModelModule> modules = new LinkedHashSet<>();
        for (int i = 0; i < presetModules.size(); i++) {
            modules.add(module(presetModules.get(i), "preset_modules[" + i + "]"));
        }
        // With a preset, recipe.modules may only choose the method and its parameters, the LayerNorm operator and
        // the attention products (as ./qwm quantize --preset with --layer-norm and --attention).
        QuantMethod method = null;
        Map<String, String> parameters = new LinkedHashMap<>();
        LayerNormOp layerNorm = null;
        AttentionProducts attention = null;
        for (int i = 0; i < recipe.getModulesCount(); i++) {
            QuantizerApi.ModuleRecipe m = recipe.getModules(i);
            String where = "recipe.modules[" + i + "]";
            if (m.getWeightBits() != 0 || m.getWeightGroupSize() != 0 || m.getActivationBits() != 0
                    || m.getActivationGranularity() != QuantizerApi.ActivationGranularity.ACTIVATION_GRANULARITY_UNSPECIFIED
                    || !m.getLayerPattern().isEmpty()) {
                throw new RecipeException(where + ": with preset '" + preset + "' a recipe module may only set method,"
                        + " parameters, layer_norm and attention; give a full recipe without a preset to choose bits,"
                        + " groups or layers");
            }
            layerNorm = same(layerNorm, m.getLayerNorm().isBlank() ? null : LayerNormOp.parse(m.getLayerNorm()),
                    where + ".layer_norm");
            attention = same(attention, m.getAttention().isBlank() ? null : AttentionProducts.parse(m.getAttention()),
                    where + ".attention");
            if (m.getMethod() != QuantizerApi.QuantMethod.QUANT_METHOD_UNSPECIFIED) {
                QuantMethod mm = method(m.getMethod(), where);
                if (method != null && method != mm) {
                    throw new RecipeException(where + ": method " + mm.id() + " contradicts " + method.id()
                            + "; a preset applies one method to its modules");
                }
                method = mm;
            }
            parameters.putAll(m.getParametersMap());
        }
        Recipe base = Presets.recipe(preset, List.copyOf(modules),
                method == null ? QuantMethod.RTN : method);
        if (layerNorm != null) {
            base = Presets.withLayerNorm(base, layerNorm);
        }
        if (attention != null) {
            base = Presets.withAttention(base, attention);
        }
        ObjectNode tree = tree(base);
        if (!parameters.isEmpty()) {
            for (WorldModelModule module : modules) {
                ObjectNode m = (ObjectNode) tree.get("modules").get(module.id());
                m.set("options", options(parameters, base.modules().get(module).method(), "recipe.modules"));
            }
        }
        applyCalibration(tree, recipe);
        return RecipeIo.fromJson(tree.toString());
    }

    private static Recipe fromProto(QuantizerApi.Recipe recipe) {
        Map<WorldModelModule, QuantizerApi.ModuleRecipe> defaults = new LinkedHashMap<>();
        Map<WorldModelModule, List<QuantizerApi.ModuleRecipe>> patterned = new LinkedHashMap<>();
        Map<QuantizerApi.ModuleRecipe, String> where = new LinkedHashMap<>();
        for (int i = 0; i < recipe.getModulesCount(); i++) {
            QuantizerApi.ModuleRecipe m = recipe.getModules(i);
            String w = "recipe.modules[" + i + "]";
            where.put(m, w);
            WorldModelModule module = module(m.getModule(), w + ".module");
            if (m.getLayerPattern().isEmpty()) {
                if (defaults.putIfAbsent(module, m) != null) {
                    throw new RecipeException(w + ": a second entry for module " + module.id() + " without a layer_pattern;"
                            + " one entry per module covers all its layers, others must name a layer_pattern");
                }
            } else {
                try {
                    Pattern.compile(m.getLayerPattern());
                } catch (PatternSyntaxException e) {
                    throw new RecipeException(w + ": layer_pattern '" + m.getLayerPattern()
                            + "' is not a valid regular expression: " + e.getDescription());
                }
                patterned.computeIfAbsent(module, k -> new ArrayList<>()).add(m);
            }
        }
        ObjectNode tree = NODES.objectNode();
        tree.put("name", recipe.getName().isBlank() ? derivedName(recipe) : recipe.getName());
        ObjectNode modules = tree.putObject("modules");
        for (WorldModelModule module : WorldModelModule.values()) {
            QuantizerApi.ModuleRecipe base = defaults.get(module);
            List<QuantizerApi.ModuleRecipe> rules = patterned.getOrDefault(module, List.of());
            if (base == null && rules.isEmpty()) {
                continue;
            }
            ObjectNode node = modules.putObject(module.id());
            ArrayNode layers = NODES.arrayNode();
            if (base == null) {
                // Only patterned entries: the first one's settings are the module's, and every layer that no pattern
                // names stays floating point.
                base = rules.get(0);
                layers.add(NODES.objectNode().put("match", "re:.*").put("skip", true));
            }
            String w = where.get(base);
            QuantMethod method = base.getMethod() == QuantizerApi.QuantMethod.QUANT_METHOD_UNSPECIFIED
                    ? QuantMethod.RTN : method(base.getMethod(), w + ".method");
            node.put("method", method.id());
            if (base.getWeightBits() == 0) {
                throw new RecipeException(w + ": weight_bits is required (8, 6, 4, 3 or 2)");
            }
            node.set("weights", weights(base));
            node.set("activations", activations(base, 16));
            if (!base.getParametersMap().isEmpty()) {
                node.set("options", options(base.getParametersMap(), method, w + ".parameters"));
            }
            // the library parses them and names what it does not know
            if (!base.getLayerNorm().isBlank()) {
                node.put("layerNorm", base.getLayerNorm());
            }
            if (!base.getAttention().isBlank()) {
                node.put("attention", base.getAttention());
            }
            for (QuantizerApi.ModuleRecipe rule : rules) {
                String rw = where.get(rule);
                if (!rule.getLayerNorm().isBlank() || !rule.getAttention().isBlank()) {
                    throw new RecipeException(rw + ": layer_norm and attention are a module's, not a layer's: set them"
                            + " on the module's entry without a layer_pattern");
                }
                ObjectNode r = NODES.objectNode();
                r.put("match", "re:" + rule.getLayerPattern());
                QuantMethod ruleMethod = method;
                if (rule.getMethod() != QuantizerApi.QuantMethod.QUANT_METHOD_UNSPECIFIED) {
                    ruleMethod = method(rule.getMethod(), rw + ".method");
                    r.put("method", ruleMethod.id());
                }
                if (rule.getWeightBits() != 0) {
                    r.set("weights", weights(rule));
                }
                if (rule.getActivationBits() != 0) {
                    r.set("activations", activations(rule, 0));
                }
                r.put("skip", false);
                if (!rule.getParametersMap().isEmpty()) {
                    r.set("options", options(rule.getParametersMap(), ruleMethod, rw + ".parameters"));
                }
                layers.add(r);
            }
            if (!layers.isEmpty()) {
                node.set("layers", layers);
            }
        }
        applyCalibration(tree, recipe);
        return RecipeIo.fromJson(tree.toString());
    }

    private static void applyCalibration(ObjectNode tree, QuantizerApi.Recipe recipe) {
        if (!recipe.hasCalibration()) {
            return;
        }
        // proto3 cannot tell 0 from absent: 0 keeps the recipe's (or the default) value
        QuantizerApi.CalibrationSettings c = recipe.getCalibration();
        ObjectNode node = calibrationNode(tree);
        if (c.getEpisodes() != 0) {
            node.put("episodes", c.getEpisodes());
        }
        if (c.getQuantIter() != 0) {
            node.put("quantIter", c.getQuantIter());
        }
        if (c.getSeedBase() != 0) {
            node.put("seedStride", checkedInt(c.getSeedBase(), "recipe.calibration.seed_base"));
        }
        if (c.getSeedOffset() != 0) {
            node.put("seedOffset", checkedInt(c.getSeedOffset(), "recipe.calibration.seed_offset"));
        }
    }

    /** The one value several entries give, or the entry that contradicts an earlier one, named. */
    private static <T> T same(T earlier, T value, String where) {
        if (value == null) {
            return earlier;
        }
        if (earlier != null && earlier != value) {
            throw new RecipeException(where + ": " + value + " contradicts " + earlier
                    + "; a preset applies one choice to its modules");
        }
        return value;
    }

    private static ObjectNode calibrationNode(ObjectNode tree) {
        return tree.get("calibration") instanceof ObjectNode c ? c : tree.putObject("calibration");
    }

    private static int checkedInt(long v, String where) {
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new RecipeException(where + " is out of range: " + v);
        }
        return (int) v;
    }

    private static ObjectNode weights(QuantizerApi.ModuleRecipe m) {
        ObjectNode w = NODES.objectNode().put("bits", m.getWeightBits());
        if (m.getWeightGroupSize() == 0) {
            w.put("group", "channel");
        } else {
            w.put("group", m.getWeightGroupSize());
        }
        return w;
    }

    private static ObjectNode activations(QuantizerApi.ModuleRecipe m, int defaultBits) {
        ObjectNode a = NODES.objectNode().put("bits", m.getActivationBits() == 0 ? defaultBits : m.getActivationBits());
        switch (m.getActivationGranularity()) {
            case ACTIVATION_GRANULARITY_PER_TENSOR -> a.put("granularity", "tensor");
            case ACTIVATION_GRANULARITY_PER_TOKEN -> a.put("granularity", "token");
            case ACTIVATION_GRANULARITY_KERNEL -> a.put("granularity", "kernel");
            default -> {
            }
        }
        return a;
    }

    /**
     * Method parameters by name: {@code section.field} (e.g. {@code gptq.damp}) or a bare field of the entry's own
     * method's section (e.g. {@code alpha} for SmoothQuant, {@code epochs} for OmniQuant).
     */
    private static ObjectNode options(Map<String, String> parameters, QuantMethod method, String where) {
        ObjectNode options = NODES.objectNode();
        for (Map.Entry<String, String> p : new TreeMap<>(parameters).entrySet()) {
            String key = p.getKey().trim();
            String section;
            String field;
            int dot = key.indexOf('.');
            if (dot > 0) {
                section = key.substring(0, dot);
                field = key.substring(dot + 1);
            } else {
                if (method == QuantMethod.RTN) {
                    throw new RecipeException(where + ": parameter '" + key + "': rtn has no parameters (name them"
                            + " section.field, e.g. gptq.damp, for another method)");
                }
                section = method.id();
                field = key;
            }
            if (field.isEmpty()) {
                throw new RecipeException(where + ": parameter '" + key + "' names no field");
            }
            JsonNode existing = options.get(section);
            ObjectNode s = existing instanceof ObjectNode o ? o : options.putObject(section);
            s.set(field, scalar(p.getValue()));
        }
        return options;
    }

    private static JsonNode scalar(String text) {
        String t = text.trim();
        if (INTEGER.matcher(t).matches()) {
            try {
                return NODES.numberNode(Integer.parseInt(t));
            } catch (NumberFormatException e) {
                return NODES.numberNode(Long.parseLong(t));
            }
        }
        if (DECIMAL.matcher(t).matches()) {
            return NODES.numberNode(Double.parseDouble(t));
        }
        if (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")) {
            return NODES.booleanNode(Boolean.parseBoolean(t.toLowerCase(Locale.ROOT)));
        }
        return NODES.textNode(t);
    }

    private static WorldModelModule module(ModelComponent c, String where) {
        return switch (c) {
            case MODEL_COMPONENT_ENCODER -> WorldModelModule.ENCODER;
            case MODEL_COMPONENT_PREDICTOR -> WorldModelModule.PREDICTOR;
            default -> throw new RecipeException(where + " is " + c + "; name MODEL_COMPONENT_ENCODER or"
                    + " MODEL_COMPONENT_PREDICTOR");
        };
    }

    private static QuantMethod method(QuantizerApi.QuantMethod m, String where) {
        return switch (m) {
            case QUANT_METHOD_RTN -> QuantMethod.RTN;
            case QUANT_METHOD_OMSE -> QuantMethod.OMSE;
            case QUANT_METHOD_AWQ -> QuantMethod.AWQ;
            case QUANT_METHOD_SMOOTHQUANT -> QuantMethod.SMOOTHQUANT;
            case QUANT_METHOD_OMNIQUANT -> QuantMethod.OMNIQUANT;
            case QUANT_METHOD_GPTQ -> QuantMethod.GPTQ;
            default -> throw new RecipeException(where + " is " + m + ", not a method this service knows");
        };
    }

    /** A name for a recipe sent without one, e.g. {@code w4a16-g128-gptq-predictor}. */
    private static String derivedName(QuantizerApi.Recipe recipe) {
        Set<String> formats = new LinkedHashSet<>();
        Set<String> modules = new LinkedHashSet<>();
        for (QuantizerApi.ModuleRecipe m : recipe.getModulesList()) {
            int abits = m.getActivationBits() == 0 ? 16 : m.getActivationBits();
            String method = m.getMethod() == QuantizerApi.QuantMethod.QUANT_METHOD_UNSPECIFIED ? "rtn"
                    : m.getMethod().name().substring("QUANT_METHOD_".length()).toLowerCase(Locale.ROOT);
            formats.add("w" + m.getWeightBits() + "a" + abits + (m.getWeightGroupSize() == 0 ? "" : "-g" + m.getWeightGroupSize())
                    + "-" + method + (m.getLayerPattern().isEmpty() ? "" : "-layers"));
            modules.add(m.getModule() == ModelComponent.MODEL_COMPONENT_ENCODER ? "encoder" : "predictor");
        }
        String name = (formats.size() == 1 ? formats.iterator().next() : "mixed")
                + "-" + (modules.size() == 2 ? "both" : modules.iterator().next());
        // the suffixes ./qwm quantize gives (Presets.withLayerNorm, withAttention)
        String layerNorm = recipe.getModulesList().stream().map(QuantizerApi.ModuleRecipe::getLayerNorm)
                .filter(t -> !t.isBlank()).map(LayerNormOp::parse).filter(op -> op != LayerNormOp.LAYER_NORMALIZATION)
                .map(op -> "-ln-" + op.id()).findFirst().orElse("");
        String attention = recipe.getModulesList().stream().map(QuantizerApi.ModuleRecipe::getAttention)
                .filter(t -> !t.isBlank()).map(AttentionProducts::parse).filter(a -> a != AttentionProducts.FLOAT)
                .map(a -> "-attn-" + a.id()).findFirst().orElse("");
        return name + layerNorm + attention;
    }

    private static ObjectNode tree(Recipe r) {
        try {
            return (ObjectNode) RecipeIo.jsonMapper().readTree(RecipeIo.toJson(r));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot re-read recipe " + r.name(), e);
        }
    }
}
