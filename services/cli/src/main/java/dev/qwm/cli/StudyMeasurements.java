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
import java.util.Optional;
import java.util.Set;

/**
 * What the report measures itself from a study's model bundles when they are on this machine (the local stack, or
 * a shared artifact store mounted at the same paths): rollout drift of every configuration against the study's
 * full-precision configuration and against real observations, and the per-layer errors in the quantizers'
 * manifests. Bundles that are not here are named and skipped.
 */
final class StudyMeasurements {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One configuration's models: where its bundles are, and the sha256 the collector recorded of each component. */
    record Configuration(String label, String environment, Path encoder, Path predictor, String encoderSha256,
                         String predictorSha256) {

        Configuration(String label, String environment, Path encoder, Path predictor) {
            this(label, environment, encoder, predictor, "", "");
        }

        boolean here() {
            return Files.exists(encoder.resolve("model.json")) && Files.exists(predictor.resolve("model.json"));
        }
    }

    private StudyMeasurements() {
    }

    static List<Configuration> configurations(StudySnapshot data) {
        Map<String, Configuration> byLabel = new LinkedHashMap<>();
        for (EpisodeRecord e : data.episodes()) {
            byLabel.putIfAbsent(e.configuration() + "\u0000" + e.environment(), new Configuration(e.configuration(),
                    e.environment(), Path.of(e.encoder().bundle()), Path.of(e.predictor().bundle()), e.encoder().sha256(),
                    e.predictor().sha256()));
        }
        return List.copyOf(byLabel.values());
    }

    /** The sha256 of the study's full-precision originals (artifacts the collector has no source or recipe of). */
    static Set<String> originals(StudySnapshot data) {
        Set<String> out = new LinkedHashSet<>();
        data.artifacts().stream().filter(ArtifactRecord::isOriginal).forEach(a -> out.add(a.artifact().sha256()));
        return out;
    }

    /** Whether a bundle holds the trained model itself, not a quantizer's output. */
    static boolean fullPrecision(ModelBundle bundle) {
        return !dev.qwm.quant.bundle.QuantizedProvenance.quantized(bundle.manifest());
    }

    /** Drift of every configuration whose bundles are here, measured now (no cache). */
    static List<RolloutDrift> drift(List<Configuration> configurations, int segments, int horizon, PrintStream log) {
        return drift(configurations, segments, horizon, DriftCache.NONE, Set.of(), log);
    }

    /**
     * Drift curves of every configuration against the configuration of its environment whose encoder and predictor
     * are both full precision (judged from the bundles where they are here, else from the collector's
     * {@code originals}): taken from {@code cache} where it holds the measurement of the same models, else measured
     * from the bundles when they are on this machine (and kept in the cache); configurations with neither are named
     * and skipped.
     */
    static List<RolloutDrift> drift(List<Configuration> configurations, int segments, int horizon, DriftCache cache,
                                    Set<String> originals, PrintStream log) {
        List<RolloutDrift> curves = new ArrayList<>();
        Map<String, List<Configuration>> byEnv = new LinkedHashMap<>();
        for (Configuration c : configurations) {
            byEnv.computeIfAbsent(c.environment(), k -> new ArrayList<>()).add(c);
        }
        for (var entry : byEnv.entrySet()) {
            List<Configuration> cs = entry.getValue();
            Configuration reference = cs.stream().filter(c -> c.here()
                    ? fullPrecision(ModelBundle.read(c.encoder())) && fullPrecision(ModelBundle.read(c.predictor()))
                    : originals.contains(c.encoderSha256()) && originals.contains(c.predictorSha256()))
                    .findFirst().orElse(null);
            if (reference == null) {
                cs.stream().filter(c -> !c.here()).forEach(c -> skipping(c, log));
                log.println("drift: no full-precision configuration of " + entry.getKey() + " in the study; none measured");
                continue;
            }
            try (ProgressLine bar = ProgressLine.on(log).task("drift " + entry.getKey()).total(cs.size()).unit("cfg")
                    .start();
                 Measurer measurer = new Measurer(entry.getKey(), reference, segments, horizon)) {
                // configurations that differ only in their planner budget share their models: measured once
                Map<List<Object>, RolloutDriftMeter.Drift> measured = new LinkedHashMap<>();
                for (Configuration c : cs) {
                    DriftCache.Key key = new DriftCache.Key(c.environment(), c.encoderSha256(), c.predictorSha256(),
                            reference.encoderSha256(), reference.predictorSha256(), segments, horizon,
                            RolloutDriftMeter.SEGMENT_SEED);
                    List<Object> same = key.complete() ? List.of(key) : List.of(c.encoder(), c.predictor());
                    RolloutDriftMeter.Drift d = measured.get(same);
                    if (d == null) {
                        Optional<DriftCache.Models> models = c.here() && reference.here()
                                ? Optional.of(measurer.models(c)) : Optional.empty();
                        d = cache.lookup(key, models, log).map(DriftCache.Entry::drift).orElse(null);
                        if (d == null && c.here() && reference.here()) {
                            d = measurer.measure(c);
                            if (recorded(c, models.get(), log) && recorded(reference, measurer.models(reference), log)) {
                                cache.keep(key, models.get(), d, cs.stream().filter(o -> o.encoderSha256()
                                        .equals(c.encoderSha256()) && o.predictorSha256().equals(c.predictorSha256()))
                                        .map(Configuration::label).toList());
                            }
                        }
                        if (d == null) {
                            skipping(c, log);
                            bar.step();
                            continue;
                        }
                        measured.put(same, d);
                    }
                    curves.add(new RolloutDrift(c.environment(), c.label(), RolloutDrift.Reference.FULL_PRECISION,
                            d.againstReference(), d.segments()));
                    curves.add(new RolloutDrift(c.environment(), c.label(), RolloutDrift.Reference.REAL,
                            d.againstReal(), d.segments()));
                    bar.step();
                }
            }
        }
        if (cache.enabled()) {
            log.println("drift: " + cache.reused() + " measurement" + (cache.reused() == 1 ? "" : "s") + " from "
                    + cache.dir() + ", " + cache.written() + " measured and kept there");
        }
        return curves;
    }

    private static void skipping(Configuration c, PrintStream log) {
        log.println("drift: skipping " + c.label() + ": its bundles are not on this machine (" + c.encoder()
                + ", " + c.predictor() + ")");
    }

    /**
     * Whether the bundles here are the models the collector recorded for the configuration (their encoder and
     * predictor components' sha256): only then is a measurement kept under the recorded key.
     */
    private static boolean recorded(Configuration c, DriftCache.Models models, PrintStream log) {
        String encoder = models.components().get("encoder").get("visual_encoder");
        String predictor = models.components().get("predictor").get("predictor");
        if (c.encoderSha256().equals(encoder) && c.predictorSha256().equals(predictor)) {
            return true;
        }
        log.println("drift: the bundles of " + c.label() + " (" + c.encoder() + ", " + c.predictor() + ") are not the"
                + " models its episodes were planned with (sha256 " + c.encoderSha256() + ", " + c.predictorSha256()
                + "); measured, but not kept");
        return false;
    }

    /** Opens the reference model and makes the segments when the first configuration has to be measured. */
    private static final class Measurer implements AutoCloseable {
        private final String environment;
        private final Configuration reference;
        private final int segments;
        private final int horizon;
        private List<RolloutDriftMeter.Segment> fixed;
        private OnnxWorldModel fp;

        Measurer(String environment, Configuration reference, int segments, int horizon) {
            this.environment = environment;
            this.reference = reference;
            this.segments = segments;
            this.horizon = horizon;
        }

        private final Map<Path, ModelBundle> bundles = new LinkedHashMap<>();

        /** A bundle read (and its components' sha256 verified) once. */
        ModelBundle bundle(Path dir) {
            return bundles.computeIfAbsent(dir, ModelBundle::read);
        }

        DriftCache.Models models(Configuration c) {
            return DriftCache.Models.of(bundle(c.encoder()), bundle(c.predictor()), bundle(reference.encoder()),
                    bundle(reference.predictor()));
        }

        RolloutDriftMeter.Drift measure(Configuration c) {
            if (fp == null) {
                ModelBundle ref = bundle(reference.predictor());
                fixed = RolloutDriftMeter.segments(environment, segments, horizon, ref.manifest().frameskip(),
                        ref.manifest().imageSize());
                fp = OnnxWorldModel.open(bundle(reference.encoder()), ref, SessionConfig.singleThreaded());
            }
            try (OnnxWorldModel model = OnnxWorldModel.open(bundle(c.encoder()), bundle(c.predictor()),
                    SessionConfig.singleThreaded())) {
                return RolloutDriftMeter.measure(model, fp, fixed);
            }
        }

        @Override
        public void close() {
            if (fp != null) {
                fp.close();
            }
        }
    }

    /**
     * The per-layer errors of every quantized bundle of the study: from the manifests the collector stored with the
     * artifacts of the bundles the study's episodes were planned with, and for bundles it has none of, from the bundle
     * itself when it is here.
     */
    static List<LayerSensitivity> sensitivity(StudySnapshot data, List<Configuration> configurations, PrintStream log) {
        List<LayerSensitivity> layers = new ArrayList<>();
        List<String> uncalibrated = new ArrayList<>();
        Set<String> done = new LinkedHashSet<>();
        // the collector serves every artifact it knows, of every study: only the bundles this study planned with count
        Set<String> planned = new LinkedHashSet<>();
        for (EpisodeRecord e : data.episodes()) {
            planned.add(e.encoder().bundle());
            planned.add(e.predictor().bundle());
        }
        for (ArtifactRecord a : data.artifacts()) {
            if (a.isOriginal() || a.manifestJson().isBlank() || !planned.contains(a.artifact().bundle())
                    || !done.add(a.artifact().bundle())) {
                continue; // an original, another study's artifact, or the other component of a bundle already read
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
