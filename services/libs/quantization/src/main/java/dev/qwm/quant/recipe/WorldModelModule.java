package dev.qwm.quant.recipe;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.List;
import java.util.Locale;

/**
 * The quantizable modules of a world model and the bundle component each one is. The proprio and action encoders are
 * never quantized (as in QuantWM, docs/reference/quantwm.md "What is quantized": plain 1×1 convolutions onto 10
 * dimensions).
 */
public enum WorldModelModule {
    ENCODER("visual_encoder"),
    PREDICTOR("predictor");

    private final String component;

    WorldModelModule(String component) {
        this.component = component;
    }

    /**
     * Layer rules every recipe of this module starts with (a recipe's own rules come after, so they win): the
     * encoder's patch embedding stays float, as QuantWM leaves DINOv2's patch-embedding Conv2d unquantized;
     * {@code {match: "patch_embed*", skip: false}} quantizes it.
     */
    public List<LayerRule> defaultRules() {
        return this == ENCODER ? List.of(PATCH_EMBEDDING_FLOAT) : List.of();
    }

    /** The encoder's default rule: its patch embedding (DINOv2's Conv2d, here {@code patch_embed/MatMul}) in float. */
    public static final LayerRule PATCH_EMBEDDING_FLOAT = new LayerRule("patch_embed*", null, null, null, true, null);

    /** The bundle component ({@code model.json} components key). */
    public String component() {
        return component;
    }

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static WorldModelModule parse(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "encoder", "visual_encoder" -> ENCODER;
            case "predictor" -> PREDICTOR;
            default -> throw new RecipeException("unknown module '" + text + "'; use encoder or predictor");
        };
    }

    /** {@code encoder}, {@code predictor} or {@code both}. */
    public static List<WorldModelModule> parseSelection(String text) {
        if (text.trim().equalsIgnoreCase("both")) {
            return List.of(ENCODER, PREDICTOR);
        }
        return List.of(parse(text));
    }
}
