package dev.qwm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.analysis.data.ArtifactRecord;
import dev.qwm.analysis.data.EpisodeRecord;
import dev.qwm.analysis.data.StudySnapshot;
import dev.qwm.analysis.drift.RolloutDrift;
import dev.qwm.analysis.sensitivity.LayerSensitivity;
import dev.qwm.analysis.sensitivity.SensitivityIo;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.eval.RolloutDriftMeter;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.progress.ProgressLine;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the report measures itself from a study's model bundles when they are on this machine (the local stack, or
 * a shared artifact store mounted at the same paths): rollout drift of every configuration against the study's
 * full-precision configuration and against real observations, and the per-layer errors in the quantizers'
 * manifests. Bundles that are not here are named and skipped.
 */
final class StudyMeasurements {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One configuration's models. */
    record Configuration(String label, String environment, Path encoder, Path predictor) {
    }

    private StudyMeasurements() {
    }

    static List<Configuration> configurations(StudySnapshot data) {
        Map<String, Configuration> byLabel = new LinkedHashMap<>();
        for (EpisodeRecord e : data.episodes()) {
            byLabel.putIfAbsent(e.configuration() + "\u0000" + e.environment(), new Configuration(e.configuration(),
                    e.environment(), Path.of(e.encoder().bundle()), Path.of(e.predictor().bundle())));
        }
        return List.copyOf(byLabel.values());
    }

    /** Whether a bundle holds the trained model itself, not a quantizer's output. */
    static boolean fullPrecision(ModelBundle bundle) {
        return !dev.qwm.quant.bundle.QuantizedProvenance.quantized(bundle.manifest());
    }

    /**
     * Drift curves of every configuration whose bundles are here, against the configuration of its environment
     * whose encoder and predictor are both full precision.
     */
    static List<RolloutDrift> drift(List<Configuration> configurations, int segments, int horizon, PrintStream log) {
        List<RolloutDrift> curves = new ArrayList<>();
        Map<String, List<Configuration>> byEnv = new LinkedHashMap<>();
        for (Configuration c : configurations) {
            if (!Files.exists(c.encoder().resolve("model.json")) || !Files.exists(c.predictor().resolve("model.json"))) {
                log.println("drift: skipping " + c.label() + ": its bundles are not on this machine (" + c.encoder()
                        + ", " + c.predictor() + ")");
                continue;
            }
            byEnv.computeIfAbsent(c.environment(), k -> new ArrayList<>()).add(c);
        }
        for (var entry : byEnv.entrySet()) {
            List<Configuration> cs = entry.getValue();
            Configuration reference = cs.stream().filter(c -> fullPrecision(ModelBundle.read(c.encoder()))
                    && fullPrecision(ModelBundle.read(c.predictor()))).findFirst().orElse(null);
            if (reference == null) {
                log.println("drift: no full-precision configuration of " + entry.getKey() + " in the study; none measured");
                continue;
            }
            ModelBundle ref = ModelBundle.read(reference.predictor());
            List<RolloutDriftMeter.Segment> fixed = RolloutDriftMeter.segments(entry.getKey(), segments, horizon,
                    ref.manifest().frameskip(), ref.manifest().imageSize());
            try (ProgressLine bar = ProgressLine.on(log).task("drift " + entry.getKey()).total(cs.size()).unit("cfg")
                    .start();
                 OnnxWorldModel fp = OnnxWorldModel.open(ModelBundle.read(reference.encoder()), ref,
                         SessionConfig.singleThreaded())) {
                // configurations that differ only in their planner budget share their models: measured once
                Map<List<Path>, RolloutDriftMeter.Drift> measured = new LinkedHashMap<>();
                for (Configuration c : cs) {
                    RolloutDriftMeter.Drift d = measured.get(List.of(c.encoder(), c.predictor()));
                    if (d == null) {
                        try (OnnxWorldModel model = OnnxWorldModel.open(ModelBundle.read(c.encoder()),
                                ModelBundle.read(c.predictor()), SessionConfig.singleThreaded())) {
                            d = RolloutDriftMeter.measure(model, fp, fixed);
                        }
                        measured.put(List.of(c.encoder(), c.predictor()), d);
                    }
                    curves.add(new RolloutDrift(c.environment(), c.label(), RolloutDrift.Reference.FULL_PRECISION,
                            d.againstReference(), d.segments()));
                    curves.add(new RolloutDrift(c.environment(), c.label(), RolloutDrift.Reference.REAL,
                            d.againstReal(), d.segments()));
                    bar.step();
                }
            }
        }
        return curves;
    }

    /**
     * The per-layer errors of every quantized bundle of the study: from the manifests the collector stored with its
     * artifacts, and for bundles it has none of, from the bundle itself when it is here.
     */
    static List<LayerSensitivity> sensitivity(StudySnapshot data, List<Configuration> configurations, PrintStream log) {
        List<LayerSensitivity> layers = new ArrayList<>();
        List<String> uncalibrated = new ArrayList<>();
        Set<String> done = new LinkedHashSet<>();
        for (ArtifactRecord a : data.artifacts()) {
            if (a.isOriginal() || a.manifestJson().isBlank() || !done.add(a.artifact().bundle())) {
                continue; // an original, or the other component of a bundle already read
            }
            layers.addAll(parse(() -> SensitivityIo.parse(JSON.readTree(a.manifestJson()), "manifest of "
                    + a.artifact().bundle()), uncalibrated, log));
        }
        Set<Path> bundles = new LinkedHashSet<>();
        for (Configuration c : configurations) {
            bundles.add(c.encoder());
            bundles.add(c.predictor());
        }
        for (Path b : bundles) {
            if (done.contains(b.toString()) || !Files.exists(b.resolve("model.json")) || fullPrecision(ModelBundle.read(b))) {
                continue;
            }
            layers.addAll(parse(() -> SensitivityIo.read(b), uncalibrated, log));
        }
        if (!uncalibrated.isEmpty()) {
            log.println("sensitivity: " + uncalibrated.size() + " quantized bundle" + (uncalibrated.size() == 1 ? "" : "s")
                    + " without per-layer output errors (quantized without calibration data; ./qwm quantize --measure"
                    + " adds them), left out");
        }
        // the same layer quantized alike in two bundles (encoder-only and both) is one measurement
        return layers.stream().distinct().toList();
    }

    private interface ManifestReader {
        List<LayerSensitivity> read() throws java.io.IOException;
    }

    private static List<LayerSensitivity> parse(ManifestReader reader, List<String> uncalibrated, PrintStream log) {
        try {
            return reader.read();
        } catch (SensitivityIo.NoLayerErrors e) {
            uncalibrated.add(e.getMessage());
            return List.of();
        } catch (IllegalArgumentException | java.io.IOException e) {
            log.println("sensitivity: " + e.getMessage());
            return List.of();
        }
    }
}
