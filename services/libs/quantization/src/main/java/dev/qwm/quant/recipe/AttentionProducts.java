package dev.qwm.quant.recipe;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How a module's attention computes its two activation products, q·kᵀ and probabilities·v (recipe field
 * {@code attention}). QuantWM keeps them in float, and so does every recipe unless it names {@code int8}.
 */
public enum AttentionProducts {
    /** Float products, as exported (the default). */
    FLOAT,
    /**
     * Both products as 8-bit integer products: q, k, the probabilities and v each quantized to uint8, asymmetric,
     * with one scale and zero point per tensor fixed from the recipe's calibration, multiplied u8×u8 with int32 sums
     * ({@code com.microsoft:MatMulIntegerToFloat}), exact on every CPU.
     */
    INT8;

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static AttentionProducts parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        for (AttentionProducts a : values()) {
            if (a.id().equals(t)) {
                return a;
            }
        }
        throw new RecipeException("unknown attention '" + text + "'; known: "
                + Arrays.stream(values()).map(AttentionProducts::id).collect(Collectors.joining(", "))
                + " (attention's q·kᵀ and probabilities·v in float, or as 8-bit integer products)");
    }
}
