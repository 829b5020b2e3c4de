package dev.qwm.analysis.autoquant;

import dev.qwm.analysis.sensitivity.LayerSensitivity;
import dev.qwm.analysis.sensitivity.MixedPrecisionPlanner;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.LayerRule;
import dev.qwm.quant.recipe.ModuleRecipe;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.recipe.WorldModelModule;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The whole-model candidates of an automatic quantization, from each layer's output error measured at every format
 * (the quantizer's per-layer SQNR on calibration data): every uniform format, and for every method and pair of
 * weight formats the greedy mixed allocation of {@link MixedPrecisionPlanner} under the byte limit. A candidate's
 * predicted cost is its layers' measured weight bytes plus the bytes outside them; candidates over the limit are
 * never made. Every measured layer is quantized at the format it is priced at, the layers a module keeps in floating
 * point by default (the encoder's patch embedding) too: a candidate computes what it was priced and ranked as. They
 * are ranked by predicted noise: the summed relative output noise 10^(−SQNR/10) of their layers,
 * the first-order error of the modules, lowest first.
 */
public final class CandidateSearch {

    /**
     * One whole-model candidate.
     *
     * @param bytes predicted weight bytes of encoder and predictor together
     * @param noise summed relative output noise of its layers (lower is better)
     * @param layers layer (module/name) → format, e.g. {@code rtn W4 A16}: what the candidate computes
     */
    public record Candidate(String name, Recipe recipe, long bytes, double noise, String description,
                            Map<String, String> layers) {

        /** The recipe as YAML, without the method options that only repeat the defaults. */
        public String yaml() {
            return MixedPrecisionPlanner.yaml(recipe);
        }
    }

    private CandidateSearch() {
    }

    /**
     * @param measured   per-layer errors of the searched modules at every format measured (any method, weights and
     *                   activations); every layer must be measured at every format (or it could not be priced)
     * @param otherBytes weight bytes outside the measured layers (float layers, embeddings, modules not searched)
     * @param byteLimit  the most bytes a candidate may have ({@link Long#MAX_VALUE}: no limit)
     */
    public static List<Candidate> candidates(List<LayerSensitivity> measured, long otherBytes, long byteLimit) {
        Map<Config, List<LayerSensitivity>> byConfig = new LinkedHashMap<>();
        Set<String> layers = new LinkedHashSet<>();
        for (LayerSensitivity s : measured) {
            if (Double.isNaN(s.outputSqnrDb()) || s.weightBytes() < 0) {
                throw new IllegalArgumentException("layer " + s.module() + "/" + s.layer() + " at " + s.weightFormat()
                        + " has no measured output error or weight bytes; measure with calibration data");
            }
            byConfig.computeIfAbsent(new Config(s.method(), new WeightSpec(s.weightBits(), s.groupSize()), s.activations()),
                    k -> new ArrayList<>()).add(s);
            layers.add(key(s));
        }
        if (byConfig.isEmpty()) {
            throw new IllegalArgumentException("no layer measurement to search over");
        }
        for (var e : byConfig.entrySet()) {
            if (e.getValue().size() != layers.size()) {
                throw new IllegalArgumentException("format " + e.getKey() + " is measured on " + e.getValue().size()
                        + " layers of " + layers.size() + "; every format must be measured on every layer");
            }
        }
        Map<Map<String, String>, Candidate> found = new LinkedHashMap<>();
        for (var e : byConfig.entrySet()) {
            Config c = e.getKey();
            long bytes = otherBytes + e.getValue().stream().mapToLong(LayerSensitivity::weightBytes).sum();
            if (bytes > byteLimit) {
                continue;
            }
            Map<String, String> assignment = new TreeMap<>();
            e.getValue().forEach(s -> assignment.put(key(s), c.toString()));
            found.putIfAbsent(assignment, new Candidate(c.name(), everyLayer(uniform(c, e.getValue(), c.name()), layers), bytes,
                    e.getValue().stream().mapToDouble(LayerSensitivity::relativeNoise).sum(), "uniform " + c, assignment));
        }
        if (byteLimit != Long.MAX_VALUE) {
            for (var low : byConfig.entrySet()) {
                for (var high : byConfig.entrySet()) {
                    Config l = low.getKey();
                    Config h = high.getKey();
                    if (!l.method().equals(h.method()) || !l.weightOnly() || !h.weightOnly()
                            || h.weights().bits() <= l.weights().bits()) {
                        continue;
                    }
                    long lowBytes = low.getValue().stream().mapToLong(LayerSensitivity::weightBytes).sum();
                    if (otherBytes + lowBytes > byteLimit) {
                        continue;
                    }
                    List<LayerSensitivity> both = new ArrayList<>(low.getValue());
                    both.addAll(high.getValue());
                    MixedPrecisionPlanner.Suggestion s = MixedPrecisionPlanner.suggest(both, l.weights(), h.weights(),
                            byteLimit - otherBytes, QuantMethod.parse(l.method()));
                    if (s.promoted().isEmpty()) {
                        continue; // the uniform low format, already a candidate
                    }
                    Map<String, String> assignment = new TreeMap<>();
                    s.layers().forEach(x -> assignment.put(x.module() + "/" + x.layer(), (x.promoted() ? h : l).toString()));
                    String name = l.name() + "+" + h.weights().toString().toLowerCase(Locale.ROOT);
                    Recipe named = everyLayer(new Recipe(name, s.recipe().modules(), s.recipe().calibration()), layers);
                    found.putIfAbsent(assignment, new Candidate(name, named, otherBytes + s.bytes(), s.noise(),
                            String.format(Locale.ROOT, "%s, %d of %d layers at %s", l, s.promoted().size(),
                                    s.layers().size(), h.weights()), assignment));
                }
            }
        }
        List<Candidate> out = new ArrayList<>(found.values());
        out.sort(Comparator.comparingDouble(Candidate::noise).thenComparingLong(Candidate::bytes)
                .thenComparing(Candidate::name));
        return out;
    }

    private static String key(LayerSensitivity s) {
        return s.module() + "/" + s.layer();
    }

    /**
     * {@code recipe} with the measured layers that a module's default rules keep in floating point quantized: a
     * {@code skip: false} rule right after the defaults, so that the module's format or a later layer rule applies.
     */
    private static Recipe everyLayer(Recipe recipe, Set<String> measured) {
        Map<WorldModelModule, ModuleRecipe> modules = new EnumMap<>(WorldModelModule.class);
        recipe.modules().forEach((module, r) -> {
            List<LayerRule> defaults = module.defaultRules();
            List<LayerRule> rules = new ArrayList<>();
            for (String key : measured) {
                String layer = key.substring(key.indexOf('/') + 1);
                if (key.startsWith(module.id() + "/") && defaults.stream().anyMatch(d -> Boolean.TRUE.equals(d.skip())
                        && d.matches(layer))) {
                    rules.add(new LayerRule(MixedPrecisionPlanner.exactMatch(layer), null, null, null, false, null));
                }
            }
            List<LayerRule> own = r.layers().subList(defaults.size(), r.layers().size());
            rules.addAll(own);
            modules.put(module, new ModuleRecipe(r.method(), r.weights(), r.activations(), r.options(), rules,
                    r.layerNorm(), r.attention()));
        });
        return new Recipe(recipe.name(), modules, recipe.calibration()).validate();
    }

    /** Every measured module at one format. */
    private static Recipe uniform(Config c, List<LayerSensitivity> layers, String name) {
        ActivationSpec a = c.activationSpec();
        Map<WorldModelModule, ModuleRecipe> modules = new EnumMap<>(WorldModelModule.class);
        for (LayerSensitivity s : layers) {
            modules.computeIfAbsent(WorldModelModule.parse(s.module()),
                    m -> new ModuleRecipe(QuantMethod.parse(c.method()), c.weights(), a, null, List.of()));
        }
        return new Recipe(name, modules, null).validate();
    }

    /** One measured format: method, weights, activations (as the manifest writes them, e.g. A16, A8-kernel). */
    record Config(String method, WeightSpec weights, String activations) {

        boolean weightOnly() {
            return activations.startsWith("A16") || activations.startsWith("A32");
        }

        ActivationSpec activationSpec() {
            if (weightOnly()) {
                return ActivationSpec.FLOAT;
            }
            String[] parts = activations.substring(1).split("-", 2);
            return ActivationSpec.of(Integer.parseInt(parts[0]),
                    parts.length > 1 ? ActivationSpec.Granularity.parse(parts[1]) : null);
        }

        String name() {
            return (method + "-" + weights + "-" + activations).toLowerCase(Locale.ROOT);
        }

        @Override
        public String toString() {
            return method + " " + weights + " " + activations;
        }
    }
}
