package dev.qwm.encoder.inference;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.encoder.config.EncoderConfig;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.BundleRoots;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.ExecutionProvider;
import dev.qwm.onnx.runtime.RunEnvironment;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.onnx.serving.LoadedArtifacts;
import dev.qwm.planning.onnx.OnnxVisualEncoder;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
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

    private final SessionConfig sessionConfig;
    private final LoadedArtifacts<LoadedEncoder> loaded;
    /** The folders bundles may be loaded from ({@code qwm.bundle-roots}). */
    private final BundleRoots roots = BundleRoots.configured();

    public EncoderArtifacts(EncoderConfig config, MeterRegistry registry) {
        this.sessionConfig = SessionConfig.ofThreads(config.intraOpThreads())
                .withProvider(ExecutionProvider.parse(config.executionProvider()));
        this.loaded = new LoadedArtifacts<>("encoder", config.maxLoaded(), this::load,
                e -> LOG.infof("closing encoder %s (least recently used)", e.label()));
        registry.gauge("qwm.encoder.loaded.artifacts", loaded, l -> l.loaded().size());
        loaded.preload(config.preload().orElse(List.of()), "encoder-preload",
                e -> LOG.infof("loaded and warmed encoder %s (%s) from %s", e.label(), e.sha256().substring(0, 12), e.bundle()),
                e -> LOG.errorf("cannot preload the configured encoders: %s", e.getMessage()));
    }

    /** Where this service computes latents: CPU, ONNX Runtime, execution provider, threads. */
    public RunEnvironment runEnvironment() {
        return RunEnvironment.of(sessionConfig);
    }

    /** Whether every configured artifact is loaded and warm. */
    public boolean ready() {
        return loaded.ready();
    }

    /** Why the configured artifacts could not be loaded, if they could not. */
    public String preloadFailure() {
        return loaded.preloadFailure();
    }

    /**
     * The loaded encoder for {@code ref}, loading and warming it if needed.
     *
     * @throws IllegalArgumentException if the reference names no bundle, a bundle that cannot be read, or a
     *     sha256 that is not the bundle's visual encoder
     */
    public LoadedEncoder get(ArtifactRef ref) {
        return loaded.get(ref.getBundle(), ref.getSha256());
    }

    /** The artifacts loaded now, most recently used last. */
    public List<LoadedEncoder> loaded() {
        return loaded.loaded();
    }

    private LoadedEncoder load(String folder, String sha256) {
        ModelBundle bundle;
        try {
            bundle = ModelBundle.read(roots.resolve(folder, "encoder bundle"));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot load encoder from bundle " + folder + ": " + e.getMessage(), e);
        }
        String sha = bundle.manifest().components().get(BundleManifest.VISUAL_ENCODER).sha256();
        if (!sha256.isBlank() && !sha256.equals(sha)) {
            throw new IllegalArgumentException("bundle " + folder + " holds visual encoder " + sha
                    + ", not the requested " + sha256);
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
            throw new IllegalArgumentException("encoder in " + folder + " is unusable: " + e.getMessage(), e);
        }
    }

    @PreDestroy
    void closeAll() {
        loaded.closeAll();
    }
}
