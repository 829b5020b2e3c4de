package dev.qwm.predictor.inference;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.ExecutionProvider;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.onnx.OnnxDynamics;
import dev.qwm.predictor.config.PredictorConfig;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * The predictor artifacts this service holds: loaded on demand by reference (bundle folder + sha256 of its
 * predictor component), warmed before first use, at most {@link PredictorConfig#maxLoaded()} at once (least recently
 * used closed first). The configured ones are loaded at startup and readiness waits for them. A session whose
 * artifact was evicted reloads it on its next rollout.
 */
@ApplicationScoped
@Startup
public class PredictorArtifacts {

    private static final Logger LOG = Logger.getLogger(PredictorArtifacts.class);

    private final PredictorConfig config;
    private final SessionConfig sessionConfig;
    private final MeterRegistry registry;
    private final SessionCounts sessions;
    private final Map<String, LoadedPredictor> loaded = new LinkedHashMap<>(16, 0.75f, true);
    private final AtomicBoolean preloaded = new AtomicBoolean(false);
    private volatile String preloadFailure;

    public PredictorArtifacts(PredictorConfig config, MeterRegistry registry, SessionCounts sessions) {
        this.config = config;
        this.sessionConfig = SessionConfig.ofThreads(config.intraOpThreads())
                .withProvider(ExecutionProvider.parse(config.executionProvider()));
        this.registry = registry;
        this.sessions = sessions;
        registry.gauge("qwm.predictor.loaded.artifacts", loaded, m -> {
            synchronized (this) {
                return m.size();
            }
        });
        Thread preload = new Thread(this::preload, "predictor-preload");
        preload.setDaemon(true);
        preload.start();
    }

    private void preload() {
        try {
            for (String bundle : config.preload().orElse(List.of())) {
                if (!bundle.isBlank()) {
                    LoadedPredictor p = get(ArtifactRef.newBuilder().setBundle(bundle.trim()).build());
                    LOG.infof("loaded and warmed predictor %s (%s) from %s", p.label(), p.sha256().substring(0, 12), bundle);
                }
            }
            preloaded.set(true);
        } catch (RuntimeException e) {
            preloadFailure = e.getMessage();
            LOG.errorf("cannot preload the configured predictors: %s", e.getMessage());
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
     * The loaded predictor for {@code ref}, loading and warming it if needed.
     *
     * @throws IllegalArgumentException if the reference names no bundle, a bundle that cannot be read, a sha256
     *     that is not the bundle's predictor, or another component
     */
    public LoadedPredictor get(ArtifactRef ref) {
        if (ref.getComponent() != ModelComponent.MODEL_COMPONENT_UNSPECIFIED
                && ref.getComponent() != ModelComponent.MODEL_COMPONENT_PREDICTOR) {
            throw new IllegalArgumentException("the predictor artifact reference names component " + ref.getComponent());
        }
        if (ref.getBundle().isBlank() && ref.getSha256().isBlank()) {
            throw new IllegalArgumentException("the predictor artifact reference names neither a bundle nor a sha256");
        }
        synchronized (this) {
            if (!ref.getSha256().isBlank()) {
                LoadedPredictor hit = loaded.get(ref.getSha256());
                if (hit != null) {
                    return hit;
                }
            } else {
                String bundle = normalise(ref.getBundle());
                for (LoadedPredictor p : loaded.values()) {
                    if (p.bundle().equals(bundle)) {
                        loaded.get(p.sha256()); // touch: most recently used
                        return p;
                    }
                }
            }
        }
        if (ref.getBundle().isBlank()) {
            throw new IllegalArgumentException("predictor artifact " + ref.getSha256() + " is not loaded here and the"
                    + " reference names no bundle to load it from");
        }
        LoadedPredictor fresh = load(ref);
        List<LoadedPredictor> evicted = new ArrayList<>();
        LoadedPredictor result;
        synchronized (this) {
            LoadedPredictor raced = loaded.putIfAbsent(fresh.sha256(), fresh);
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
        // Close outside the lock: closing runs the evicted artifact's queued rollouts first.
        evicted.forEach(p -> {
            LOG.infof("closing predictor %s (least recently used)", p.label());
            p.close();
        });
        return result;
    }

    /** The artifacts loaded now, most recently used last. */
    public synchronized List<LoadedPredictor> loaded() {
        return List.copyOf(loaded.values());
    }

    private LoadedPredictor load(ArtifactRef ref) {
        ModelBundle bundle;
        try {
            bundle = ModelBundle.read(Path.of(ref.getBundle()));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot load predictor from bundle " + ref.getBundle() + ": "
                    + e.getMessage(), e);
        }
        String sha = bundle.manifest().components().get(BundleManifest.PREDICTOR).sha256();
        if (!ref.getSha256().isBlank() && !ref.getSha256().equals(sha)) {
            throw new IllegalArgumentException("bundle " + ref.getBundle() + " holds predictor " + sha
                    + ", not the requested " + ref.getSha256());
        }
        LoadedPredictor predictor = null;
        try {
            OnnxDynamics dynamics = OnnxDynamics.open(bundle, sessionConfig);
            String label = bundle.manifest().name();
            predictor = new LoadedPredictor(dynamics, bundle.directory().toString(),
                    config.batchWindow().toNanos(), config.maxBatchCandidates(), () -> sessions.openOn(sha),
                    batchMetrics(label));
            predictor.warm();
            return predictor;
        } catch (RuntimeException e) {
            if (predictor != null) {
                predictor.close();
            }
            throw new IllegalArgumentException("predictor in " + ref.getBundle() + " is unusable: " + e.getMessage(), e);
        }
    }

    private RolloutBatcher.BatchListener batchMetrics(String label) {
        DistributionSummary candidates = DistributionSummary.builder("qwm.predictor.batch.candidates")
                .description("candidates per predictor batch").tag("artifact", label).register(registry);
        DistributionSummary requests = DistributionSummary.builder("qwm.predictor.batch.requests")
                .description("Rollout calls merged into one predictor batch").tag("artifact", label).register(registry);
        Timer queued = Timer.builder("qwm.predictor.batch.queue")
                .description("time the oldest call of a batch waited before the batch ran").tag("artifact", label)
                .register(registry);
        Timer inference = Timer.builder("qwm.predictor.batch.inference")
                .description("time of one predictor batch (H predictor calls)").tag("artifact", label)
                .register(registry);
        return (calls, n, queuedNanos, inferenceNanos) -> {
            requests.record(calls);
            candidates.record(n);
            queued.record(queuedNanos, TimeUnit.NANOSECONDS);
            inference.record(inferenceNanos, TimeUnit.NANOSECONDS);
        };
    }

    private static String normalise(String bundle) {
        return Path.of(bundle).toAbsolutePath().normalize().toString();
    }

    @PreDestroy
    public synchronized void closeAll() {
        loaded.values().forEach(LoadedPredictor::close);
        loaded.clear();
    }
}
