package dev.qwm.quant.recipe;

import dev.qwm.onnx.graph.LinearLayer;

/** What the recipe asks for one linear layer of one module. */
public record LayerPlan(WorldModelModule module, LinearLayer layer, QuantMethod method, WeightSpec weights,
                        ActivationSpec activations, MethodOptions options) {

    public String name() {
        return layer.name();
    }

    @Override
    public String toString() {
        return layer.name() + " " + method.id() + " " + weights + activations;
    }
}
