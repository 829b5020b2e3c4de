package dev.qwm.analysis.config;

import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.RecipeException;
import dev.qwm.quant.recipe.RecipeIo;
import dev.qwm.quant.recipe.WorldModelModule;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a study configuration quantizes: per module (encoder, predictor) the method, weight bits and granularity, and
 * activation bits and granularity. Taken from the quantizer's recipes of the configuration's artifacts where the
 * collector has them ({@link Origin#RECIPE}), otherwise read from the configuration label ({@link Origin#LABEL}).
 *
 * <p>Labels are read leniently, in any order and with any separators: a format {@code w<bits>a<bits>[-g<group>]
 * [-tensor|-token|-kernel]} (the quantizer's preset names), {@code e<bits>p<bits>} for encoder and predictor weights at
 * different bits, a module {@code encoder|predictor|both} (default both), a method ({@code rtn}, {@code omse},
 * {@code awq}, {@code smoothquant}, {@code omniquant}, {@code gptq}; default rtn), or {@code fp}/{@code fp32} for full
 * precision. Examples: {@code predictor/w4a16-g128/rtn}, {@code both/w8a8-token/smoothquant}, {@code wall-fp32}.
 */
public record ConfigurationDescriptor(String label, ModuleQuantization encoder, ModuleQuantization predictor,
                                      Origin origin) {

    /** Where the description came from. */
    public enum Origin { RECIPE, LABEL }

    private static final String B = "(?<![a-z0-9])";
    private static final String E = "(?![a-z0-9])";
    private static final Pattern FORMAT = Pattern.compile(B + "w(\\d{1,2})a(\\d{1,2})(?:[-_]?g(\\d{1,4}))?"
            + "(?:[-_](per[-_]?tensor|per[-_]?token|tensor|token|static|dynamic|kernel))?" + E);
    private static final Pattern SPLIT_BITS = Pattern.compile(B + "e(\\d{1,2})[-_]?p(\\d{1,2})" + E);
    private static final Pattern FULL = Pattern.compile(B + "(fp|fp32|fp16|float|float32|full[-_]?precision|baseline)" + E);
    private static final Pattern MODULE = Pattern.compile(B + "(encoder|predictor|both|enc|pred)(?:[-_]only)?" + E);
    private static final Pattern METHOD = Pattern.compile(B + "(rtn|minmax|omse|awq|smoothquant|smooth[-_]quant|omniquant|gptq)" + E);

    public ConfigurationDescriptor {
        label = label == null ? "" : label;
        if (encoder == null || predictor == null) {
            throw new IllegalArgumentException("a configuration describes both modules (FULL_PRECISION for none)");
        }
    }

    public static ConfigurationDescriptor fullPrecision(String label) {
        return new ConfigurationDescriptor(label, ModuleQuantization.FULL_PRECISION, ModuleQuantization.FULL_PRECISION,
                Origin.LABEL);
    }

    public Scope scope() {
        boolean e = encoder.isQuantized();
        boolean p = predictor.isQuantized();
        return e && p ? Scope.BOTH : e ? Scope.ENCODER : p ? Scope.PREDICTOR : Scope.FULL_PRECISION;
    }

    public boolean isFullPrecision() {
        return scope() == Scope.FULL_PRECISION;
    }

    /** Every quantized module has the same method and formats (so one bits column describes the configuration). */
    public boolean isUniform() {
        return scope() != Scope.BOTH || encoder.sameAs(predictor);
    }

    /** No quantized module quantizes its activations. */
    public boolean isWeightOnly() {
        return !encoder.quantizesActivations() && !predictor.quantizesActivations();
    }

    /** The quantization of the quantized module(s); for a non-uniform configuration, the predictor's. */
    public ModuleQuantization quantization() {
        return switch (scope()) {
            case ENCODER -> encoder;
            case PREDICTOR, BOTH -> predictor;
            case FULL_PRECISION -> ModuleQuantization.FULL_PRECISION;
        };
    }

    /** Canonical label: {@code fp}, {@code predictor/w4a16-g128/rtn}, {@code encoder=w8a16/rtn,predictor=w4a16/rtn}. */
    public String canonicalLabel() {
        return switch (scope()) {
            case FULL_PRECISION -> "fp";
            case ENCODER -> "encoder/" + encoder.format() + "/" + encoder.method().id();
            case PREDICTOR -> "predictor/" + predictor.format() + "/" + predictor.method().id();
            case BOTH -> isUniform() ? "both/" + predictor.format() + "/" + predictor.method().id()
                    : "encoder=" + encoder + ",predictor=" + predictor;
        };
    }

    /**
     * The quantization of one module from the recipe JSON of its artifact (the quantizer's {@code Recipe}, or a
     * manifest holding it under {@code recipe}). A recipe that does not name the module leaves it full precision.
     *
     * @throws RecipeException when the JSON is not a recipe
     */
    public static ModuleQuantization moduleFromRecipeJson(String recipeJson, WorldModelModule module) {
        Recipe recipe = parseRecipe(recipeJson);
        return recipe.quantizes(module) ? ModuleQuantization.of(recipe.modules().get(module))
                : ModuleQuantization.FULL_PRECISION;
    }

    static Recipe parseRecipe(String json) {
        try {
            var tree = RecipeIo.jsonMapper().readTree(json);
            if (tree != null && tree.has("recipe") && tree.get("recipe").isObject()) {
                return RecipeIo.fromJson(tree.get("recipe").toString());
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new RecipeException("the recipe is not JSON: " + e.getOriginalMessage());
        }
        return RecipeIo.fromJson(json);
    }

    /** Reads a configuration label; empty when it names no format and no full precision. */
    public static Optional<ConfigurationDescriptor> fromLabel(String label) {
        if (label == null || label.isBlank()) {
            return Optional.empty();
        }
        String text = label.toLowerCase(Locale.ROOT);
        QuantMethod method = QuantMethod.RTN;
        Matcher mm = METHOD.matcher(text);
        if (mm.find()) {
            method = QuantMethod.parse(mm.group(1).replace("-", "").replace("_", ""));
        }
        Matcher split = SPLIT_BITS.matcher(text);
        if (split.find()) {
            ModuleQuantization enc = weightOnly(method, Integer.parseInt(split.group(1)));
            ModuleQuantization pred = weightOnly(method, Integer.parseInt(split.group(2)));
            return Optional.of(new ConfigurationDescriptor(label, enc, pred, Origin.LABEL));
        }
        Matcher fm = FORMAT.matcher(text);
        if (!fm.find()) {
            return FULL.matcher(text).find() ? Optional.of(fullPrecision(label)) : Optional.empty();
        }
        int wBits = Integer.parseInt(fm.group(1));
        int aBits = Integer.parseInt(fm.group(2));
        int group = fm.group(3) == null ? 0 : Integer.parseInt(fm.group(3));
        ActivationSpec.Granularity granularity = fm.group(4) == null ? null
                : ActivationSpec.Granularity.parse(fm.group(4).replace("_", "-").replace("pertensor", "per-tensor")
                .replace("pertoken", "per-token"));
        if (wBits >= 16 && aBits >= 16) {
            return Optional.of(fullPrecision(label));
        }
        ModuleQuantization q = new ModuleQuantization(method, wBits, group, aBits, granularity, false);
        String module = "both";
        Matcher mod = MODULE.matcher(text);
        if (mod.find()) {
            module = mod.group(1);
        }
        return Optional.of(switch (module) {
            case "encoder", "enc" -> new ConfigurationDescriptor(label, q, ModuleQuantization.FULL_PRECISION, Origin.LABEL);
            case "predictor", "pred" -> new ConfigurationDescriptor(label, ModuleQuantization.FULL_PRECISION, q, Origin.LABEL);
            default -> new ConfigurationDescriptor(label, q, q, Origin.LABEL);
        });
    }

    private static ModuleQuantization weightOnly(QuantMethod method, int bits) {
        return bits >= 16 ? ModuleQuantization.FULL_PRECISION : new ModuleQuantization(method, bits, 0, 16, null, false);
    }

    @Override
    public String toString() {
        return canonicalLabel();
    }
}
