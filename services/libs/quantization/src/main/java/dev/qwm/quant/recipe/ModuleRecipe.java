package dev.qwm.quant.recipe;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * How one world-model module is quantized: a default for all its linear layers, then per-layer overrides, which
 * operator its LayerNorms run as ({@code layerNorm}; absent: as exported) and how its attention multiplies
 * activations ({@code attention}; absent: in float). Both are stored as null at their default, so that a recipe
 * without them keeps its canonical JSON, and with it the artifact keys it had.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ModuleRecipe(QuantMethod method, WeightSpec weights, ActivationSpec activations, MethodOptions options,
                           List<LayerRule> layers, LayerNormOp layerNorm, AttentionProducts attention) {

    public ModuleRecipe(QuantMethod method, WeightSpec weights, ActivationSpec activations, MethodOptions options,
                        List<LayerRule> layers) {
        this(method, weights, activations, options, layers, null, null);
    }

    public ModuleRecipe(QuantMethod method, WeightSpec weights, ActivationSpec activations, MethodOptions options,
                        List<LayerRule> layers, LayerNormOp layerNorm) {
        this(method, weights, activations, options, layers, layerNorm, null);
    }

    public ModuleRecipe {
        layerNorm = layerNorm == LayerNormOp.LAYER_NORMALIZATION ? null : layerNorm;
        attention = attention == AttentionProducts.FLOAT ? null : attention;
        method = method == null ? QuantMethod.RTN : method;
        activations = activations == null ? ActivationSpec.FLOAT : activations;
        options = options == null ? MethodOptions.DEFAULTS : options;
        layers = layers == null ? List.of() : List.copyOf(layers);
    }

    /** The operator this module's LayerNorms run as. */
    public LayerNormOp layerNormOp() {
        return layerNorm == null ? LayerNormOp.LAYER_NORMALIZATION : layerNorm;
    }

    /** This recipe with its LayerNorms run as {@code op}. */
    public ModuleRecipe withLayerNorm(LayerNormOp op) {
        return new ModuleRecipe(method, weights, activations, options, layers, op, attention);
    }

    /** How this module's attention multiplies activations. */
    public AttentionProducts attentionProducts() {
        return attention == null ? AttentionProducts.FLOAT : attention;
    }

    /** This recipe with its attention products computed as {@code products}. */
    public ModuleRecipe withAttention(AttentionProducts products) {
        return new ModuleRecipe(method, weights, activations, options, layers, layerNorm, products);
    }

    void validate(String where, List<String> problems) {
        if (weights == null) {
            problems.add(where + ": 'weights' is required (e.g. {bits: 4, group: 128})");
        } else {
            weights.validate(where, problems);
        }
        activations.validate(where, problems);
        options.validate(where, problems);
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).validate(where + ".layers[" + i + "]", problems);
        }
    }
}
