package dev.qwm.quant.recipe;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which ONNX Runtime operator a quantized module's LayerNorms run as. Part of what a module computes, so a recipe's
 * choice, never a CPU's: the two differ by an ulp or two in about half of their outputs.
 */
public enum LayerNormOp {
    /** {@code LayerNormalization}, as the model was exported (the default). */
    LAYER_NORMALIZATION,
    /**
     * {@code com.microsoft:SkipLayerNormalization} with the Add before it (residual, position embedding) fused in: 3-5×
     * faster on ORT 1.29's CPU kernels at the shipped models' widths, and the plain float formula per row
     * ({@code dev.qwm.onnx.graph.SkipLayerNorms}).
     */
    SKIP;

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    @JsonCreator
    public static LayerNormOp parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (LayerNormOp op : values()) {
            if (op.id().equals(t)) {
                return op;
            }
        }
        throw new RecipeException("unknown layerNorm '" + text + "'; known: "
                + Arrays.stream(values()).map(LayerNormOp::id).collect(Collectors.joining(", ")));
    }
}
