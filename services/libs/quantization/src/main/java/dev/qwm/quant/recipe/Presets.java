package dev.qwm.quant.recipe;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Named recipes: {@code w<bits>a<bits>[-g<group>][-kernel]}. Weights are per output channel unless a group is named;
 * A16 is float activations on every CPU; quantized activations are per-tensor static (QuantWM's default), or, with
 * {@code -kernel}, int8 inside MatMulNBits. The method defaults to RTN.
 */
public final class Presets {

    private static final Map<String, Preset> PRESETS = new LinkedHashMap<>();

    private record Preset(WeightSpec weights, ActivationSpec activations, String description) {
    }

    static {
        add("w8a8", WeightSpec.perChannel(8), 8, "int8 weights per channel, int8 activations per tensor (integer matmul)");
        add("w8a16", WeightSpec.perChannel(8), 16, "int8 weights per channel, float activations");
        add("w6a16", WeightSpec.perChannel(6), 16, "6-bit weights per channel (stored in an 8-bit kernel), float activations");
        add("w6a6", WeightSpec.perChannel(6), 6, "6-bit weights per channel, 6-bit activations per tensor (stored in 8-bit kernels)");
        add("w4a16-g128", WeightSpec.grouped(4, 128), 16, "4-bit weights in groups of 128, float activations");
        add("w4a16", WeightSpec.perChannel(4), 16, "4-bit weights per channel, float activations");
        add("w3a16", WeightSpec.perChannel(3), 16, "3-bit weights per channel (stored in a 4-bit kernel), float activations");
        add("w4a8", WeightSpec.perChannel(4), 8, "4-bit weights per channel, int8 activations per tensor");
        add("w4a16-g32", WeightSpec.grouped(4, 32), 16, "4-bit weights in groups of 32, float activations");
        add("w3a16-g32", WeightSpec.grouped(3, 32), 16, "3-bit weights in groups of 32 (stored in a 4-bit kernel), float activations");
        PRESETS.put("w4a8-g128-kernel", new Preset(WeightSpec.grouped(4, 128), ActivationSpec.of(8, ActivationSpec.Granularity.KERNEL),
                "4-bit weights in groups of 128, int8 activations quantized per block inside MatMulNBits (accuracy_level 4)"));
        PRESETS.put("w8a8-kernel", new Preset(WeightSpec.perChannel(8), ActivationSpec.of(8, ActivationSpec.Granularity.KERNEL),
                "int8 weights per channel, int8 activations quantized per block inside MatMulNBits (accuracy_level 4)"));
    }

    private static void add(String name, WeightSpec w, int abits, String description) {
        PRESETS.put(name, new Preset(w, ActivationSpec.of(abits, null), description));
    }

    private Presets() {
    }

    public static List<String> names() {
        return List.copyOf(PRESETS.keySet());
    }

    public static String describe(String name) {
        return preset(name).description();
    }

    /** The preset applied to {@code modules} with {@code method}, default calibration settings. */
    public static Recipe recipe(String name, List<WorldModelModule> modules, QuantMethod method) {
        Preset p = preset(name);
        Map<WorldModelModule, ModuleRecipe> m = new EnumMap<>(WorldModelModule.class);
        for (WorldModelModule module : modules) {
            m.put(module, new ModuleRecipe(method, p.weights(), p.activations(), null, null));
        }
        String moduleTag = modules.size() == 2 ? "both" : modules.get(0).id();
        return new Recipe(name + "-" + method.id() + "-" + moduleTag, m, null).validate();
    }

    /**
     * {@code recipe} with its quantized activations at {@code granularity} (float activations stay float), named
     * {@code <name>-<granularity>}.
     */
    public static Recipe withActivationGranularity(Recipe recipe, ActivationSpec.Granularity granularity) {
        Map<WorldModelModule, ModuleRecipe> m = new EnumMap<>(WorldModelModule.class);
        recipe.modules().forEach((k, v) -> m.put(k, new ModuleRecipe(v.method(), v.weights(),
                v.activations().isFloat() ? v.activations() : ActivationSpec.of(v.activations().bits(), granularity),
                v.options(), v.layers(), v.layerNorm(), v.attention())));
        return new Recipe(recipe.name() + "-" + granularity.id(), m, recipe.calibration()).validate();
    }

    /**
     * {@code recipe} with every module's LayerNorms run as {@code op} (named {@code <name>-ln-<op>} unless {@code op}
     * is the default, which leaves the recipe as it is).
     */
    public static Recipe withLayerNorm(Recipe recipe, LayerNormOp op) {
        if (op == LayerNormOp.LAYER_NORMALIZATION) {
            return recipe;
        }
        Map<WorldModelModule, ModuleRecipe> m = new EnumMap<>(WorldModelModule.class);
        recipe.modules().forEach((k, v) -> m.put(k, v.withLayerNorm(op)));
        return new Recipe(recipe.name() + "-ln-" + op.id(), m, recipe.calibration()).validate();
    }

    /**
     * {@code recipe} with every module's attention products computed as {@code products} (named
     * {@code <name>-attn-int8} for int8; float, the default, leaves the recipe as it is).
     */
    public static Recipe withAttention(Recipe recipe, AttentionProducts products) {
        if (products == AttentionProducts.FLOAT) {
            return recipe;
        }
        Map<WorldModelModule, ModuleRecipe> m = new EnumMap<>(WorldModelModule.class);
        recipe.modules().forEach((k, v) -> m.put(k, v.withAttention(products)));
        return new Recipe(recipe.name() + "-attn-" + products.id(), m, recipe.calibration()).validate();
    }

    /**
     * OmniQuant as QuantWM ran it: {@code omni_epochs = 0} optimises nothing; LET initialised SmoothQuant-style
     * (α = 0.5) takes effect on the encoder's LayerNorm groups only (the predictor's init looks up names that do not
     * exist, so its scales stay 1); LWC is switched on after the scales were fixed. So: SmoothQuant α = 0.5 with RTN
     * weights on the encoder, plain RTN on the predictor.
     */
    public static final String OMNIQUANT_QUANTWM = "omniquant-quantwm";

    /**
     * Named method variants that reproduce what QuantWM's code ran where it differs from the published method, each
     * as qwm's own methods and options per module.
     */
    public static final List<String> VARIANTS = List.of(OMNIQUANT_QUANTWM);

    /** The preset applied to {@code modules} with a method ({@link QuantMethod#parse}) or a variant ({@link #VARIANTS}). */
    public static Recipe recipe(String name, List<WorldModelModule> modules, String method) {
        String m = method.trim().toLowerCase(Locale.ROOT);
        if (!m.equals(OMNIQUANT_QUANTWM)) {
            return recipe(name, modules, QuantMethod.parse(method));
        }
        Preset p = preset(name);
        Map<WorldModelModule, ModuleRecipe> byModule = new EnumMap<>(WorldModelModule.class);
        for (WorldModelModule module : modules) {
            byModule.put(module, module == WorldModelModule.ENCODER
                    ? new ModuleRecipe(QuantMethod.SMOOTHQUANT, p.weights(), p.activations(),
                    new MethodOptions(null, new MethodOptions.SmoothQuant(0.5, QuantMethod.RTN), null, null, null), null)
                    : new ModuleRecipe(QuantMethod.RTN, p.weights(), p.activations(), null, null));
        }
        String moduleTag = modules.size() == 2 ? "both" : modules.get(0).id();
        return new Recipe(name + "-" + OMNIQUANT_QUANTWM + "-" + moduleTag, byModule, null).validate();
    }

    public static Recipe recipe(String name, String modules) {
        return recipe(name, WorldModelModule.parseSelection(modules), QuantMethod.RTN);
    }

    private static Preset preset(String name) {
        Preset p = PRESETS.get(name.toLowerCase(Locale.ROOT));
        if (p == null) {
            throw new RecipeException("unknown preset '" + name + "'; known: " + String.join(", ", PRESETS.keySet()));
        }
        return p;
    }
}
