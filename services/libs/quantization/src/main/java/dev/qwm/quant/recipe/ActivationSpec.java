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
 * (scale, zero point) per tensor fixed from calibration, or one per token computed at run time; or signed symmetric
 * int8 per block, quantized inside ONNX Runtime's MatMulNBits kernel (its accuracy_level 4). 16 bits means the
 * activation stays floating point, on every CPU.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ActivationSpec(int bits, Granularity granularity) {

    public static final List<Integer> SUPPORTED_BITS = List.of(4, 6, 8, 16);
    public static final ActivationSpec FLOAT = new ActivationSpec(16, null);

    public enum Granularity {
        /** One scale and zero point for the whole tensor, from the min/max seen during calibration (QuantWM layer_wise). */
        TENSOR,
        /** One scale and zero point per token (row over the last axis), from its own min/max at run time (token_wise). */
        TOKEN,
        /**
         * Signed symmetric int8 per row and weight block (scale max|x|/127), computed at run time inside
         * MatMulNBits (accuracy_level 4): ORT's int8 path for weight-only kernels. Only by name in a recipe, never a
         * CPU-dependent default.
         */
        KERNEL;

        @JsonValue
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static Granularity parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "tensor", "per-tensor", "layer_wise", "static" -> TENSOR;
                case "token", "per-token", "token_wise", "dynamic" -> TOKEN;
                case "kernel", "int8-in-kernel", "in-kernel" -> KERNEL;
                default -> throw new RecipeException("unknown activation granularity '" + text
                        + "'; use 'tensor' (static, calibrated), 'token' (dynamic) or 'kernel' (int8 inside MatMulNBits)");
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

    /** Static per-tensor parameters fixed from calibration ranges (the only activation format that needs data). */
    @JsonIgnore
    public boolean isStatic() {
        return !isFloat() && granularity == Granularity.TENSOR;
    }

    /** Quantized inside the MatMulNBits kernel (accuracy_level 4). */
    @JsonIgnore
    public boolean inKernel() {
        return !isFloat() && granularity == Granularity.KERNEL;
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
        if (granularity == Granularity.KERNEL && bits != 8) {
            problems.add(where + ": granularity 'kernel' quantizes activations to int8 inside MatMulNBits, so it needs "
                    + "bits: 8, got " + bits);
        }
    }

    @Override
    public String toString() {
        return isFloat() ? "A16" : "A" + bits + "-" + granularity.id();
    }
}
