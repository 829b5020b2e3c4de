package dev.qwm.encoder.inference;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.encoder.config.EncoderConfig;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.ExecutionProvider;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.onnx.OnnxVisualEncoder;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * The encoder artifacts this service holds: loaded on demand by reference (bundle folder + sha256 of its
 * visual encoder), warmed before first use, at most {@link EncoderConfig#maxLoaded()} at once (least recently
 * used closed first). The configured ones are loaded at startup and readiness waits for them.
 */
@ApplicationScoped
@Startup
public class EncoderArtifacts {

    private static final Logger LOG = Logger.getLogger(EncoderArtifacts.class);

    private final EncoderConfig config;
    private final SessionConfig sessionConfig;
    private final Map<String, LoadedEncoder> loaded = new LinkedHashMap<>(16, 0.75f, true);
    private final AtomicBoolean preloaded = new AtomicBoolean(false);
    private volatile String preloadFailure;

    public EncoderArtifacts(EncoderConfig config, MeterRegistry registry) {
        this.config = config;
        this.sessionConfig = SessionConfig.ofThreads(config.intraOpThreads())
                .withProvider(ExecutionProvider.parse(config.executionProvider()));
        registry.gauge("qwm.encoder.loaded.artifacts", loaded, m -> {
            synchronized (this) {
                return m.size();
            }
        });
        Thread preload = new Thread(this::preload, "encoder-preload");
        preload.setDaemon(true);
        preload.start();
    }

    private void preload() {
        try {
            for (String bundle : config.preload().orElse(List.of())) {
                if (!bundle.isBlank()) {
                    LoadedEncoder e = get(ArtifactRef.newBuilder().setBundle(bundle.trim()).build());
                    LOG.infof("loaded and warmed encoder %s (%s) from %s", e.label(), e.sha256().substring(0, 12), bundle);
                }
            }
            preloaded.set(true);
        } catch (RuntimeException e) {
            preloadFailure = e.getMessage();
            LOG.errorf("cannot preload the configured encoders: %s", e.getMessage());
        }
    }

    /** Whether every configured artifact is loaded and warm. */
    public boolean ready() {
        return preloaded.get();
    }

    /** Why the configured artifacts could not be loaded, if they could not. */
    public String preloadFailure() {
        return preloadFailure;
    }

    /**
     * The loaded encoder for {@code ref}, loading and warming it if needed.
     *
     * @throws IllegalArgumentException if the reference names no bundle, a bundle that cannot be read, or a
     *     sha256 that is not the bundle's visual encoder
     */
    public LoadedEncoder get(ArtifactRef ref) {
        if (ref.getBundle().isBlank() && ref.getSha256().isBlank()) {
            throw new IllegalArgumentException("the encoder artifact reference names neither a bundle nor a sha256");
        }
        synchronized (this) {
            if (!ref.getSha256().isBlank()) {
                LoadedEncoder hit = loaded.get(ref.getSha256());
                if (hit != null) {
                    return hit;
                }
            } else {
                for (LoadedEncoder e : loaded.values()) {
                    if (e.bundle().equals(normalise(ref.getBundle()))) {
                        loaded.get(e.sha256()); // touch: most recently used
                        return e;
                    }
                }
            }
        }
        if (ref.getBundle().isBlank()) {
            throw new IllegalArgumentException("encoder artifact " + ref.getSha256() + " is not loaded here and the"
                    + " reference names no bundle to load it from");
        }
        LoadedEncoder fresh = load(ref);
        List<LoadedEncoder> evicted = new ArrayList<>();
        LoadedEncoder result;
        synchronized (this) {
            LoadedEncoder raced = loaded.putIfAbsent(fresh.sha256(), fresh);
            result = raced != null ? raced : fresh;
            if (raced != null) {
                evicted.add(fresh);
            }
            var it = loaded.entrySet().iterator();
            while (loaded.size() > config.maxLoaded() && it.hasNext()) {
                var eldest = it.next();
                if (eldest.getValue() != result) {
                    evicted.add(eldest.getValue());
                    it.remove();
                }
            }
        }
        // Close outside the lock. A call still running on an evicted session keeps it alive in ORT until it returns.
        evicted.forEach(e -> {
            LOG.infof("closing encoder %s (least recently used)", e.label());
            e.close();
        });
        return result;
    }

    /** The artifacts loaded now, most recently used last. */
    public synchronized List<LoadedEncoder> loaded() {
        return List.copyOf(loaded.values());
    }

    private LoadedEncoder load(ArtifactRef ref) {
        ModelBundle bundle;
        try {
            bundle = ModelBundle.read(Path.of(ref.getBundle()));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot load encoder from bundle " + ref.getBundle() + ": " + e.getMessage(), e);
        }
        String sha = bundle.manifest().components().get(BundleManifest.VISUAL_ENCODER).sha256();
        if (!ref.getSha256().isBlank() && !ref.getSha256().equals(sha)) {
            throw new IllegalArgumentException("bundle " + ref.getBundle() + " holds visual encoder " + sha
                    + ", not the requested " + ref.getSha256());
        }
        LoadedEncoder encoder = null;
        try {
            encoder = new LoadedEncoder(OnnxVisualEncoder.open(bundle, sessionConfig), bundle.directory().toString());
            encoder.warm();
            return encoder;
        } catch (RuntimeException e) {
            if (encoder != null) {
                encoder.close();
            }
            throw new IllegalArgumentException("encoder in " + ref.getBundle() + " is unusable: " + e.getMessage(), e);
        }
    }

    private static String normalise(String bundle) {
        return Path.of(bundle).toAbsolutePath().normalize().toString();
    }

    @PreDestroy
    synchronized void closeAll() {
        loaded.values().forEach(LoadedEncoder::close);
        loaded.clear();
    }
}
