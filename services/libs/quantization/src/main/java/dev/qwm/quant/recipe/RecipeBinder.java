package dev.qwm.quant.recipe;

import dev.qwm.onnx.graph.LinearLayer;

import java.util.ArrayList;
import java.util.List;

/**
 * Applies a module recipe to the linear layers of that module's graph, refusing what cannot work on this model: a layer
 * pattern that matches nothing. Groups never straddle output channels (the QuantWM bug of docs/reference/quantwm.md
 * "Groups that straddle rows"): a layer whose input width is not a multiple of the group ends each row with a shorter
 * group, and one narrower than the group has a single group per row (its weights are then per-channel, which the
 * manifest notes).
 */
public final class RecipeBinder {

    private RecipeBinder() {
    }

    /** The plans of the layers to quantize, in graph order (skipped layers are left out). */
    public static List<LayerPlan> bind(WorldModelModule module, ModuleRecipe recipe, List<LinearLayer> layers) {
        List<String> problems = new ArrayList<>();
        String where = "modules." + module.id();
        if (layers.isEmpty()) {
            problems.add(where + ": the " + module.component() + " graph has no linear layer (MatMul/Gemm with a constant weight)");
        }
        for (LayerRule rule : recipe.layers()) {
            // a module's default rules may find nothing to do in a graph of another architecture
            if (rule.match() != null && !module.defaultRules().contains(rule)
                    && layers.stream().noneMatch(l -> rule.matches(l.name(), l.weightName()))) {
                problems.add(where + ": layer pattern '" + rule.match() + "' matches no linear layer of the "
                        + module.component() + " graph (layers: " + summary(layers) + ")");
            }
        }
        List<LayerPlan> plans = new ArrayList<>();
        for (LinearLayer layer : layers) {
            QuantMethod method = recipe.method();
            WeightSpec weights = recipe.weights();
            ActivationSpec activations = recipe.activations();
            MethodOptions options = recipe.options();
            boolean skip = false;
            boolean skipByDefault = false;
            for (LayerRule rule : recipe.layers()) {
                if (!rule.matches(layer.name(), layer.weightName())) {
                    continue;
                }
                method = rule.method() != null ? rule.method() : method;
                weights = rule.weights() != null ? rule.weights() : weights;
                activations = rule.activations() != null ? rule.activations() : activations;
                options = rule.options() != null ? rule.options() : options;
                boolean isDefault = module.defaultRules().contains(rule);
                if (rule.skip() != null) {
                    skip = rule.skip();
                    skipByDefault = isDefault && skip;
                } else if (skipByDefault && !isDefault && (rule.method() != null || rule.weights() != null
                        || rule.activations() != null)) {
                    // a rule saying how to quantize a layer the module keeps float by default quantizes it
                    skip = false;
                    skipByDefault = false;
                }
            }
            if (skip) {
                continue;
            }
            plans.add(new LayerPlan(module, layer, method, weights, activations, options));
        }
        if (!problems.isEmpty()) {
            throw new RecipeException(problems);
        }
        return plans;
    }

    private static String summary(List<LinearLayer> layers) {
        List<String> names = layers.stream().map(LinearLayer::name).limit(8).toList();
        return String.join(", ", names) + (layers.size() > 8 ? ", … (" + layers.size() + " in all)" : "");
    }
}
