package dev.qwm.quant.recipe;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.List;
import java.util.Locale;

/**
 * Activation format of a linear layer's input: unsigned asymmetric {@code bits}-bit with a zero point, either one
 * (scale, zero point) per tensor fixed from calibration, or one per token computed at run time. 16 bits means the
 * activation stays floating point.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ActivationSpec(int bits, Granularity granularity) {

    public static final List<Integer> SUPPORTED_BITS = List.of(4, 6, 8, 16);
    public static final ActivationSpec FLOAT = new ActivationSpec(16, null);

    public enum Granularity {
        /** One scale and zero point for the whole tensor, from the min/max seen during calibration (QuantWM layer_wise). */
        TENSOR,
        /** One scale and zero point per token (row over the last axis), from its own min/max at run time (token_wise). */
        TOKEN;

        @JsonValue
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static Granularity parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "tensor", "per-tensor", "layer_wise", "static" -> TENSOR;
                case "token", "per-token", "token_wise", "dynamic" -> TOKEN;
                default -> throw new RecipeException("unknown activation granularity '" + text
                        + "'; use 'tensor' (static, calibrated) or 'token' (dynamic)");
            };
        }
    }

    @JsonCreator
    static ActivationSpec fromJson(@JsonProperty("bits") Integer bits, @JsonProperty("granularity") Granularity granularity) {
        if (bits == null) {
            throw new RecipeException("activations: 'bits' is required (one of " + SUPPORTED_BITS + ")");
        }
        return of(bits, granularity);
    }

    /** Activations at {@code bits}; a quantized activation without a granularity is per-tensor static. */
    public static ActivationSpec of(int bits, Granularity granularity) {
        if (bits >= 16) {
            return new ActivationSpec(bits, null);
        }
        return new ActivationSpec(bits, granularity == null ? Granularity.TENSOR : granularity);
    }

    @JsonIgnore
    public boolean isFloat() {
        return bits >= 16;
    }

    /** Largest unsigned code, 2^bits − 1. */
    @JsonIgnore
    public int qmax() {
        return (1 << bits) - 1;
    }

    void validate(String where, List<String> problems) {
        if (!SUPPORTED_BITS.contains(bits)) {
            problems.add(where + ": " + bits + "-bit activations are not supported (supported: " + SUPPORTED_BITS + ")");
        }
    }

    @Override
    public String toString() {
        return isFloat() ? "A16" : "A" + bits + "-" + granularity.id();
    }
}
