package dev.qwm.quant.bundle;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.qwm.files.StagedWrite;
import dev.qwm.onnx.kernel.KernelChoice;
import dev.qwm.onnx.runtime.ExecutionProvider;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.runtime.RunEnvironment;
import dev.qwm.quant.ModuleQuantizer;
import dev.qwm.quant.calib.ActivationCollector;
import dev.qwm.quant.calib.CalibrationData;
import dev.qwm.quant.manifest.ModuleReport;
import dev.qwm.quant.manifest.QuantizationManifest;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.RecipeException;
import dev.qwm.quant.recipe.WorldModelModule;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Quantizes a model bundle by a recipe into a new bundle: the recipe's modules (visual encoder, predictor) are
 * rewritten, the other components are carried over unchanged (same bytes, same sha256), and the quantization
 * manifest goes both into {@code model.json}'s provenance and beside it as {@code quantization.json}.
 * Calibration, when the recipe needs it, is one FP planning pass feeding every module's collector at once.
 */
public final class BundleQuantizer {

    public static final String MANIFEST_FILE = "quantization.json";

    public record Result(ModelBundle bundle, QuantizationManifest manifest, Map<WorldModelModule, ModuleQuantizer.Result> modules) {
    }

    private BundleQuantizer() {
    }

    /**
     * @param calibration episodes to calibrate on; null is allowed when the recipe needs none (RTN/OMSE weight-only),
     *                    and then the manifest has no output errors (they are measured on calibration data)
     */
    public static Result quantize(ModelBundle source, Recipe recipe, PlanningCalibration calibration, Path out,
                                  ModuleQuantizer.Options options) {
        return quantize(source, recipe, calibration, ModelBundle.target(out, "bundle folder"), options);
    }

    /**
     * As above, written where {@code out} allows (see {@link ModelBundle#target}): the quantized bundle and its
     * manifest appear together in one rename, or not at all.
     */
    public static Result quantize(ModelBundle source, Recipe recipe, PlanningCalibration calibration, StagedWrite out,
                                  ModuleQuantizer.Options options) {
        out.check();
        recipe.validate();
        Map<WorldModelModule, ModuleQuantizer.Prepared> prepared = new EnumMap<>(WorldModelModule.class);
        for (var e : recipe.modules().entrySet()) {
            ModelProto model = OnnxModels.read(source.componentPath(e.getKey().component()));
            prepared.put(e.getKey(), ModuleQuantizer.prepare(model, e.getKey(), e.getValue()));
        }
        boolean needed = prepared.values().stream().anyMatch(ModuleQuantizer.Prepared::needsCalibration);
        Map<WorldModelModule, CalibrationData> data = new EnumMap<>(WorldModelModule.class);
        if (needed || calibration != null) {
            if (calibration == null) {
                throw new RecipeException("recipe '" + recipe.name() + "' needs calibration (data-aware methods, "
                        + "quantized activations or int8 attention): give calibration episodes to plan");
            }
            if (!calibration.episodes().environment().equals(source.manifest().environment())) {
                throw new IllegalArgumentException("bundle " + source.manifest().name() + " is for "
                        + source.manifest().environment() + ", the calibration episodes are " + calibration.episodes().environment());
            }
            if (!calibration.episodes().frameStyle().cliName().equals(source.manifest().frameStyle())) {
                throw new IllegalArgumentException("bundle " + source.manifest().name() + " reads "
                        + source.manifest().frameStyle() + " frames, the calibration episodes draw "
                        + calibration.episodes().frameStyle().cliName() + " frames");
            }
            Map<WorldModelModule, ActivationCollector> collectors = new EnumMap<>(WorldModelModule.class);
            try {
                for (var e : prepared.entrySet()) {
                    collectors.put(e.getKey(), e.getValue().newCollector(recipe.calibration(), options.ort()));
                }
                CalibratingWorldModel model = new CalibratingWorldModel(source, options.ort(),
                        collectors.get(WorldModelModule.ENCODER), collectors.get(WorldModelModule.PREDICTOR));
                calibration.run(model, recipe.calibration());
                collectors.forEach((m, c) -> data.put(m, c.result()));
            } finally {
                collectors.values().forEach(ActivationCollector::close);
            }
        }
        Map<WorldModelModule, ModuleQuantizer.Result> results = new EnumMap<>(WorldModelModule.class);
        for (var e : prepared.entrySet()) {
            results.put(e.getKey(), ModuleQuantizer.finish(e.getValue(), data.get(e.getKey()), options));
        }

        List<ModuleReport> reports = new ArrayList<>();
        results.values().forEach(r -> reports.add(r.report()));
        Map<WorldModelModule, byte[]> graphs = new EnumMap<>(WorldModelModule.class);
        results.forEach((m, r) -> graphs.put(m, r.model().toByteArray()));
        // load-time kernel variants measured here (and cached for the first load on this CPU)
        Map<String, KernelChoice.Choices> choices = null;
        if (KernelChoice.enabled() && options.ort().provider() == ExecutionProvider.CPU) {
            choices = new TreeMap<>();
            for (var e : results.entrySet()) {
                byte[] bytes = graphs.get(e.getKey());
                choices.put(e.getKey().component(), KernelChoice.choose(e.getValue().model(), KernelChoice.graphSha256(bytes),
                        options.ort().intraOpThreads(), options.cpu(), KernelChoice.defaultCache()));
            }
        }
        QuantizationManifest manifest = new QuantizationManifest(QuantizationManifest.FORMAT, recipe,
                fingerprint(data), data.values().stream().mapToLong(CalibrationData::batches).sum(),
                RunEnvironment.of(options.cpu(), options.ort()), source.reference(), reports, choices);

        BundleManifest m = source.manifest().withName(source.manifest().name() + "-" + recipe.name())
                .withProvenance(new QuantizedProvenance(manifest, source.manifest().provenance()));
        ModelBundle.Writer writer = ModelBundle.writer(m);
        for (String component : source.manifest().components().keySet()) {
            WorldModelModule module = moduleOf(component);
            if (module != null && results.containsKey(module)) {
                writer.component(component, graphs.get(module));
            } else {
                writer.component(component, source.componentPath(component));
            }
        }
        writer.file(MANIFEST_FILE, manifest.toJson());
        ModelBundle written = writer.write(out);
        return new Result(written, manifest, results);
    }

    private static WorldModelModule moduleOf(String component) {
        for (WorldModelModule m : WorldModelModule.values()) {
            if (m.component().equals(component)) {
                return m;
            }
        }
        return null;
    }

    /** One module's calibration fingerprint, or a hash of all of them (they come from the same planning pass). */
    private static String fingerprint(Map<WorldModelModule, CalibrationData> data) {
        if (data.isEmpty()) {
            return null;
        }
        if (data.size() == 1) {
            return data.values().iterator().next().fingerprint();
        }
        StringBuilder lines = new StringBuilder();
        data.forEach((m, d) -> lines.append(m.id()).append(':').append(d.fingerprint()).append('\n'));
        return ModelBundle.sha256(lines.toString().getBytes(StandardCharsets.UTF_8));
    }
}
