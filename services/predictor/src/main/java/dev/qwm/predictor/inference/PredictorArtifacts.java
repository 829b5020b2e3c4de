package dev.qwm.predictor.inference;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.BundleRoots;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.planning.onnx.CemStepCost;
import dev.qwm.onnx.runtime.ExecutionProvider;
import dev.qwm.onnx.runtime.RunEnvironment;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.onnx.serving.LoadedArtifacts;
import dev.qwm.planning.onnx.OnnxDynamics;
import dev.qwm.predictor.config.PredictorConfig;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
    private final LoadedArtifacts<LoadedPredictor> loaded;
    /** The folders bundles may be loaded from ({@code qwm.bundle-roots}). */
    private final BundleRoots roots = BundleRoots.configured();

    /** Where this service's sessions compute: CPU, ONNX Runtime, execution provider, threads. */
    public RunEnvironment runEnvironment() {
        return RunEnvironment.of(sessionConfig);
    }

    public PredictorArtifacts(PredictorConfig config, MeterRegistry registry, SessionCounts sessions) {
        this.config = config;
        this.sessionConfig = SessionConfig.ofThreads(intraOpThreads(config.intraOpThreads()))
                .withProvider(ExecutionProvider.parse(config.executionProvider()));
        LOG.infof("predictor sessions run at %d ONNX Runtime intra-op thread(s) (predictor.intra-op-threads=%d)",
                sessionConfig.intraOpThreads(), config.intraOpThreads());
        this.registry = registry;
        this.sessions = sessions;
        this.loaded = new LoadedArtifacts<>("predictor", config.maxLoaded(), this::load,
                p -> LOG.infof("closing predictor %s (least recently used)", p.label()));
        registry.gauge("qwm.predictor.loaded.artifacts", loaded, l -> l.loaded().size());
        loaded.preload(config.preload().orElse(List.of()), "predictor-preload",
                p -> LOG.infof("loaded and warmed predictor %s (%s) from %s", p.label(), p.sha256().substring(0, 12), p.bundle()),
                e -> LOG.errorf("cannot preload the configured predictors: %s", e.getMessage()));
    }

    /** The intra-op threads {@code configured} means: itself, or one per processor available to the JVM when 0. */
    static int intraOpThreads(int configured) {
        if (configured < 0) {
            throw new IllegalArgumentException("predictor.intra-op-threads must be 0 (one per available processor) "
                    + "or a thread count, got " + configured);
        }
        return configured == 0 ? Runtime.getRuntime().availableProcessors() : configured;
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
        return loaded.get(ref.getBundle(), ref.getSha256());
    }

    /** The folders bundles may be loaded from ({@code qwm.bundle-roots}). */
    public BundleRoots roots() {
        return roots;
    }

    /** The artifacts loaded now, most recently used last. */
    public List<LoadedPredictor> loaded() {
        return loaded.loaded();
    }

    private LoadedPredictor load(String folder, String sha256) {
        ModelBundle bundle;
        try {
            bundle = ModelBundle.read(roots.resolve(folder, "predictor bundle"));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot load predictor from bundle " + folder + ": "
                    + e.getMessage(), e);
        }
        String sha = bundle.manifest().components().get(BundleManifest.PREDICTOR).sha256();
        if (!sha256.isBlank() && !sha256.equals(sha)) {
            throw new IllegalArgumentException("bundle " + folder + " holds predictor " + sha
                    + ", not the requested " + sha256);
        }
        LoadedPredictor predictor = null;
        try {
            OnnxDynamics dynamics = OnnxDynamics.open(bundle, sessionConfig);
            String label = bundle.manifest().name();
            // counted at one candidate over the horizon limit: the average step, nearly all at full history
            double gflopPerStep = CemStepCost.of(bundle, 1, config.maxHorizon()).gflop() / config.maxHorizon();
            predictor = new LoadedPredictor(dynamics, bundle.directory().toString(),
                    config.batchWindow().toNanos(), config.maxBatchCandidates(), () -> sessions.openOn(sha),
                    batchMetrics(label), gflopPerStep);
            predictor.warm();
            return predictor;
        } catch (RuntimeException e) {
            if (predictor != null) {
                predictor.close();
            }
            throw new IllegalArgumentException("predictor in " + folder + " is unusable: " + e.getMessage(), e);
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


    @PreDestroy
    public void closeAll() {
        loaded.closeAll();
    }
}
