package dev.qwm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.files.StagedWrite;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.RunEnvironment;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.eval.RolloutDriftMeter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Rollout drift measured once per pair of models and kept as files (with a study's episode log, in
 * {@code LOG/drift/}), so a report reuses it instead of running every quantized model against full precision again,
 * and a machine that has not got the models (or another CPU, whose kernels differ in the last bits) shows the same
 * numbers.
 *
 * <p>An entry is keyed by what decides the measurement and what the collector records with every episode: the
 * environment, the sha256 of the measured configuration's encoder and predictor components and of the full-precision
 * reference's, and the segments (count, horizon in macro steps, the generator's seed). The entry also keeps every
 * component sha256 of the four bundles and the reference's frameskip and image size, the segments' rendering; where
 * the bundles are on this machine these must agree, else the entry is stale and not used. One file per key,
 * {@code drift-<first 16 hex of the key's sha256>.json}, written staged and once: a measured entry is never replaced
 * unless asked ({@code --remeasure-drift}). Values are written as Java's shortest round-tripping decimal, so what is
 * read back is the double that was measured.
 */
final class DriftCache {

    static final String FORMAT = "qwm-drift-cache/1";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What decides a drift measurement. */
    record Key(String environment, String encoder, String predictor, String referenceEncoder, String referencePredictor,
               int segments, int horizon, long segmentSeed) {

        Key {
            Objects.requireNonNull(environment, "environment");
        }

        /** Whether every model is named by its sha256 (episodes stored before the collector kept them are not). */
        boolean complete() {
            return Stream.of(encoder, predictor, referenceEncoder, referencePredictor).allMatch(s -> s != null && !s.isBlank());
        }

        String canonical() {
            return String.join("|", "qwm-drift-key/1", environment.toLowerCase(java.util.Locale.ROOT), encoder, predictor,
                    referenceEncoder, referencePredictor, Integer.toString(segments), Integer.toString(horizon),
                    Long.toString(segmentSeed));
        }

        String fileName() {
            return "drift-" + ModelBundle.sha256(canonical().getBytes(StandardCharsets.UTF_8)).substring(0, 16) + ".json";
        }
    }

    /**
     * The bundles' components and the segments' rendering, checked against the bundles where they are here.
     *
     * @param components {@code encoder}, {@code predictor}, {@code referenceEncoder}, {@code referencePredictor}:
     *                   each bundle's component name to sha256
     */
    record Models(Map<String, Map<String, String>> components, int frameskip, int imageSize) {

        static Models of(ModelBundle encoder, ModelBundle predictor, ModelBundle referenceEncoder,
                         ModelBundle referencePredictor) {
            Map<String, Map<String, String>> c = new LinkedHashMap<>();
            c.put("encoder", shas(encoder));
            c.put("predictor", shas(predictor));
            c.put("referenceEncoder", shas(referenceEncoder));
            c.put("referencePredictor", shas(referencePredictor));
            return new Models(c, referencePredictor.manifest().frameskip(), referencePredictor.manifest().imageSize());
        }

        private static Map<String, String> shas(ModelBundle b) {
            Map<String, String> out = new TreeMap<>();
            b.manifest().components().forEach((name, c) -> out.put(name, c.sha256()));
            return out;
        }
    }

    /** A cached measurement: the key, the models it was measured on, the curves, and where it was measured. */
    record Entry(Key key, Models models, RolloutDriftMeter.Drift drift, List<String> configurations, String measuredOn) {
    }

    /** No cache: everything is measured, nothing kept. */
    static final DriftCache NONE = new DriftCache(null, false);

    private final Path dir;
    private final boolean remeasure;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private int reused;
    private int written;

    private DriftCache(Path dir, boolean remeasure) {
        this.dir = dir;
        this.remeasure = remeasure;
    }

    /**
     * The cache in {@code dir} (which need not exist yet). With {@code remeasure}, cached entries are not used, and
     * the new measurements replace them.
     */
    static DriftCache open(Path dir, boolean remeasure) {
        DriftCache cache = new DriftCache(Objects.requireNonNull(dir, "dir"), remeasure);
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.getFileName().toString().matches("drift-[0-9a-f]{16}\\.json")).sorted().toList()) {
                    Entry e = read(f);
                    if (!e.key().fileName().equals(f.getFileName().toString())) {
                        throw new IllegalArgumentException("drift cache file " + f + " holds the key of "
                                + e.key().fileName() + "; restore it from version control, or pass --remeasure-drift");
                    }
                    cache.entries.put(f.getFileName().toString(), e);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the drift cache " + dir + ": " + e.getMessage(), e);
            }
        }
        return cache;
    }

    boolean enabled() {
        return dir != null;
    }

    Path dir() {
        return dir;
    }

    /** How many measurements were taken from the cache, and how many were written into it. */
    int reused() {
        return reused;
    }

    int written() {
        return written;
    }

    Collection<Entry> entries() {
        return entries.values();
    }

    /**
     * The cached measurement of {@code key}, if there is one to use: none when the cache is off, asked to measure
     * again, or when {@code here} (the four bundles, when they are on this machine) disagrees with the entry's models.
     */
    Optional<Entry> lookup(Key key, Optional<Models> here, java.io.PrintStream log) {
        if (!enabled() || remeasure || !key.complete()) {
            return Optional.empty();
        }
        Entry e = entries.get(key.fileName());
        if (e == null) {
            return Optional.empty();
        }
        if (here.isPresent() && !here.get().equals(e.models())) {
            log.println("drift: the cached measurement " + dir.resolve(key.fileName()) + " was made on models that differ"
                    + " from the bundles here (" + e.models() + " vs " + here.get() + "); measuring again (pass"
                    + " --remeasure-drift to replace it)");
            return Optional.empty();
        }
        reused++;
        return Optional.of(e);
    }

    /** Keeps a measurement made now; an existing entry is replaced only when asked to measure again. */
    void keep(Key key, Models models, RolloutDriftMeter.Drift drift, List<String> configurations) {
        if (!enabled() || !key.complete()) {
            return;
        }
        Path file = dir.resolve(key.fileName());
        if (Files.exists(file) && !remeasure) {
            return; // a stale entry stays as it is (lookup said why); --remeasure-drift replaces it
        }
        Entry e = new Entry(key, models, drift, List.copyOf(configurations),
                RunEnvironment.of(SessionConfig.singleThreaded()).describe());
        try {
            StagedWrite.file(file, "--drift-cache", "drift measurement").force(remeasure).write(staged -> {
                Files.writeString(staged, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(e)) + "\n");
                return null;
            });
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write " + file + ": " + ex.getMessage(), ex);
        }
        entries.put(key.fileName(), e);
        written++;
    }

    static ObjectNode toJson(Entry e) {
        ObjectNode root = JSON.createObjectNode().put("format", FORMAT);
        Key k = e.key();
        root.putObject("key").put("environment", k.environment()).put("encoder", k.encoder())
                .put("predictor", k.predictor()).put("referenceEncoder", k.referenceEncoder())
                .put("referencePredictor", k.referencePredictor()).put("segments", k.segments())
                .put("horizon", k.horizon()).put("segmentSeed", k.segmentSeed());
        ObjectNode models = root.putObject("models");
        models.put("frameskip", e.models().frameskip()).put("imageSize", e.models().imageSize());
        ObjectNode comps = models.putObject("components");
        e.models().components().forEach((bundle, shas) -> {
            ObjectNode b = comps.putObject(bundle);
            shas.forEach(b::put);
        });
        ObjectNode drift = root.putObject("drift").put("segments", e.drift().segments());
        ArrayNode fp = drift.putArray("fp");
        for (double v : e.drift().againstReference()) {
            fp.add(v);
        }
        ArrayNode real = drift.putArray("real");
        for (double v : e.drift().againstReal()) {
            real.add(v);
        }
        ArrayNode labels = root.putArray("configurations");
        e.configurations().forEach(labels::add);
        root.put("measuredOn", e.measuredOn());
        return root;
    }

    static Entry read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("drift cache file " + file + " cannot be read (" + e.getMessage()
                    + "); restore it from version control, or pass --remeasure-drift", e);
        }
        if (!FORMAT.equals(root.path("format").asText())) {
            throw new IllegalArgumentException("drift cache file " + file + ": format must be " + FORMAT + ", got "
                    + root.path("format"));
        }
        JsonNode k = root.path("key");
        Key key = new Key(k.path("environment").asText(), k.path("encoder").asText(), k.path("predictor").asText(),
                k.path("referenceEncoder").asText(), k.path("referencePredictor").asText(), k.path("segments").asInt(),
                k.path("horizon").asInt(), k.path("segmentSeed").asLong());
        JsonNode m = root.path("models");
        Map<String, Map<String, String>> comps = new LinkedHashMap<>();
        m.path("components").fields().forEachRemaining(b -> {
            Map<String, String> shas = new TreeMap<>();
            b.getValue().fields().forEachRemaining(c -> shas.put(c.getKey(), c.getValue().asText()));
            comps.put(b.getKey(), shas);
        });
        JsonNode d = root.path("drift");
        double[] fp = doubles(d.path("fp"));
        double[] real = doubles(d.path("real"));
        if (fp.length != key.horizon() || real.length != key.horizon() || d.path("segments").asInt() != key.segments()) {
            throw new IllegalArgumentException("drift cache file " + file + ": curves of " + fp.length + " and "
                    + real.length + " steps over " + d.path("segments").asInt() + " segments, but the key says "
                    + key.horizon() + " steps over " + key.segments());
        }
        List<String> labels = new java.util.ArrayList<>();
        root.path("configurations").forEach(l -> labels.add(l.asText()));
        return new Entry(key, new Models(comps, m.path("frameskip").asInt(), m.path("imageSize").asInt()),
                new RolloutDriftMeter.Drift(fp, real, d.path("segments").asInt()), labels, root.path("measuredOn").asText());
    }

    private static double[] doubles(JsonNode arr) {
        double[] out = new double[arr.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = arr.get(i);
            if (!v.isNumber()) {
                throw new IllegalArgumentException("not a number: " + v);
            }
            out[i] = v.doubleValue();
        }
        return out;
    }
}
