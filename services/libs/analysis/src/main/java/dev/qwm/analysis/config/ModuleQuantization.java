package dev.qwm.analysis.config;

import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.ModuleRecipe;
import dev.qwm.quant.recipe.QuantMethod;

import java.util.Objects;

/**
 * How one module (encoder or predictor) of a configuration is quantized: method, weight bits and granularity
 * (group size, 0 = per output channel), activation bits and granularity; or not at all ({@link #FULL_PRECISION}).
 *
 * @param layerOverrides the recipe sets some layers apart (mixed precision or skipped layers)
 */
public record ModuleQuantization(QuantMethod method, int weightBits, int groupSize, int activationBits,
                                 ActivationSpec.Granularity activationGranularity, boolean layerOverrides) {

    public static final ModuleQuantization FULL_PRECISION = new ModuleQuantization(null, 32, 0, 32, null, false);

    public ModuleQuantization {
        if (method != null) {
            if (weightBits < 1 || weightBits > 16) {
                throw new IllegalArgumentException("weight bits must lie in 1..16, got " + weightBits);
            }
            if (groupSize < 0) {
                throw new IllegalArgumentException("group size must not be negative, got " + groupSize);
            }
            if (activationBits >= 16) {
                activationGranularity = null;
            } else if (activationGranularity == null) {
                activationGranularity = ActivationSpec.Granularity.TENSOR; // the quantizer's default
            }
        }
    }

    public static ModuleQuantization of(ModuleRecipe recipe) {
        return new ModuleQuantization(recipe.method(), recipe.weights().bits(), recipe.weights().groupSize(),
                recipe.activations().bits(), recipe.activations().granularity(),
                recipe.layers().stream().anyMatch(r -> !isDefaultRule(r)));
    }

    /** A module's default rule (the encoder's float patch embedding) is the quantizer's, not a layer override. */
    private static boolean isDefaultRule(dev.qwm.quant.recipe.LayerRule r) {
        return java.util.Arrays.stream(dev.qwm.quant.recipe.WorldModelModule.values()).anyMatch(m -> m.defaultRules().contains(r));
    }

    public boolean isQuantized() {
        return method != null;
    }

    public boolean quantizesActivations() {
        return isQuantized() && activationBits < 16;
    }

    /** {@code per-channel} or {@code g128}. */
    public String weightGranularity() {
        return !isQuantized() ? "" : groupSize == 0 ? "per-channel" : "g" + groupSize;
    }

    /** {@code tensor}, {@code token}, or "" for float activations. */
    public String activationGranularityLabel() {
        return activationGranularity == null ? "" : activationGranularity.id();
    }

    /** The same format regardless of overrides: for grouping configurations that differ only in which module. */
    public String formatKey() {
        return isQuantized() ? method.id() + "/" + format() : "fp";
    }

    /** {@code w4a16-g128}, {@code w8a8}, {@code w8a8-token}; {@code fp} when not quantized. */
    public String format() {
        if (!isQuantized()) {
            return "fp";
        }
        StringBuilder b = new StringBuilder("w").append(weightBits).append('a').append(Math.min(activationBits, 16));
        if (groupSize > 0) {
            b.append("-g").append(groupSize);
        }
        if (activationGranularity == ActivationSpec.Granularity.TOKEN) {
            b.append("-token");
        } else if (activationGranularity == ActivationSpec.Granularity.KERNEL) {
            b.append("-kernel");
        }
        if (layerOverrides) {
            b.append("+mixed");
        }
        return b.toString();
    }

    /** Same method and formats (overrides included). */
    public boolean sameAs(ModuleQuantization other) {
        return Objects.equals(this, other);
    }

    @Override
    public String toString() {
        return isQuantized() ? format() + "/" + method.id() : "fp";
    }
}
