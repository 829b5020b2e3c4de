package dev.qwm.quant.recipe;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A complete quantization recipe: per module (encoder, predictor) a method, weight and activation formats and
 * per-layer overrides, plus calibration settings. Read and written as YAML or JSON by {@link RecipeIo}; named
 * presets come from {@link Presets}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Recipe(String name, Map<WorldModelModule, ModuleRecipe> modules, CalibrationSettings calibration) {

    public Recipe {
        modules = modules == null || modules.isEmpty() ? Map.of()
                : Collections.unmodifiableMap(withDefaultRules(modules)); // EnumMap: encoder before predictor
        calibration = calibration == null ? CalibrationSettings.DEFAULTS : calibration;
    }

    /** Each module's default layer rules first (once: a recipe read back from its own YAML has them already). */
    private static Map<WorldModelModule, ModuleRecipe> withDefaultRules(Map<WorldModelModule, ModuleRecipe> modules) {
        Map<WorldModelModule, ModuleRecipe> m = new EnumMap<>(WorldModelModule.class);
        modules.forEach((module, r) -> {
            List<LayerRule> defaults = module.defaultRules();
            if (defaults.isEmpty() || (r.layers().size() >= defaults.size()
                    && r.layers().subList(0, defaults.size()).equals(defaults))) {
                m.put(module, r);
            } else {
                List<LayerRule> layers = new ArrayList<>(defaults);
                layers.addAll(r.layers());
                m.put(module, new ModuleRecipe(r.method(), r.weights(), r.activations(), r.options(), layers, r.layerNorm(),
                        r.attention()));
            }
        });
        return m;
    }

    /**
     * Whether the recipe quantizes {@code module}: it names it under {@code modules}. A module it does not name stays
     * full precision. The one rule by which a study's table and its report say which modules a configuration quantizes.
     */
    public boolean quantizes(WorldModelModule module) {
        return modules.containsKey(module);
    }

    /** Checks what can be checked without a model (bit-widths, group sizes, options); throws naming every problem. */
    public Recipe validate() {
        List<String> problems = new ArrayList<>();
        if (modules.isEmpty()) {
            problems.add("recipe '" + name + "' quantizes no module; give modules.encoder and/or modules.predictor");
        }
        for (var e : modules.entrySet()) {
            e.getValue().validate("modules." + e.getKey().id(), problems);
        }
        calibration.validate(problems);
        if (!problems.isEmpty()) {
            throw new RecipeException(problems);
        }
        return this;
    }

    /**
     * Whether any layer of any module needs calibration data (static activation quantization, int8 attention products,
     * or a data-aware method).
     */
    public boolean needsCalibration() {
        for (ModuleRecipe m : modules.values()) {
            if (m.method().needsCalibration() || m.activations().isStatic() || m.attentionProducts() == AttentionProducts.INT8) {
                return true;
            }
            for (LayerRule r : m.layers()) {
                if ((r.method() != null && r.method().needsCalibration())
                        || (r.activations() != null && r.activations().isStatic())) {
                    return true;
                }
            }
        }
        return false;
    }
}
