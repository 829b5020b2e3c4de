package dev.qwm.quant.recipe;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/** How one world-model module is quantized: a default for all its linear layers, then per-layer overrides. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ModuleRecipe(QuantMethod method, WeightSpec weights, ActivationSpec activations, MethodOptions options,
                           List<LayerRule> layers) {

    public ModuleRecipe {
        method = method == null ? QuantMethod.RTN : method;
        activations = activations == null ? ActivationSpec.FLOAT : activations;
        options = options == null ? MethodOptions.DEFAULTS : options;
        layers = layers == null ? List.of() : List.copyOf(layers);
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
