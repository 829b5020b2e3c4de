package dev.qwm.quant.recipe;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How the weights of a layer are chosen (and, for the transform methods, how its input is rescaled first). */
public enum QuantMethod {
    /** Round to nearest with min-max scales (QuantWM's {@code minmax}). */
    RTN,
    /** Per channel/group clipping search minimising the weight L2 error (QuantWM's {@code omse}). */
    OMSE,
    /** Activation-aware scaling folded into the preceding LayerNorm, then clipping search; scales computed after. */
    AWQ,
    /** Per-input-channel smoothing s = max|X|^α / max|W|^(1−α), folded into the preceding LayerNorm and the layer. */
    SMOOTHQUANT,
    /** Learnable weight clipping and learnable equivalent transforms, optimised block by block. */
    OMNIQUANT,
    /** Hessian-based error compensation (Frantar et al. 2022), block-wise, damped, optional activation order. */
    GPTQ;

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static QuantMethod parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
        for (QuantMethod m : values()) {
            if (m.name().toLowerCase(Locale.ROOT).equals(t)) {
                return m;
            }
        }
        if (t.equals("minmax")) {
            return RTN;
        }
        throw new RecipeException("unknown method '" + text + "'; known: "
                + Arrays.stream(values()).map(QuantMethod::id).collect(Collectors.joining(", ")));
    }

    /** Whether the method needs activation statistics from calibration even for weight-only recipes. */
    public boolean needsCalibration() {
        return this == AWQ || this == SMOOTHQUANT || this == OMNIQUANT || this == GPTQ;
    }
}
