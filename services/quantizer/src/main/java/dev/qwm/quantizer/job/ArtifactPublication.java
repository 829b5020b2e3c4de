package dev.qwm.quantizer.job;

import dev.qwm.api.events.v1.ArtifactCreated;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.quantizer.messaging.ArtifactEventPublisher;
import dev.qwm.quantizer.store.ArtifactStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Publishes the ArtifactCreated events of bundles: of each quantized artifact with its source, and once per process
 * of the full-precision source's own artifacts. A bundle is marked published in the store, for the broker's cluster,
 * only once all its events are acknowledged.
 */
final class ArtifactPublication {

    private final ArtifactEventPublisher events;
    private final ArtifactStore store;
    private final MeterRegistry registry;
    /** FP artifacts (sha256 @ bundle) this process has registered, so that each source is announced once. */
    private final Set<String> registeredSources = ConcurrentHashMap.newKeySet();

    /** The broker's cluster id, empty while it does not answer. */
    private final java.util.function.Supplier<java.util.Optional<String>> clusterId;

    ArtifactPublication(ArtifactEventPublisher events, ArtifactStore store, MeterRegistry registry,
                        java.util.function.Supplier<java.util.Optional<String>> clusterId) {
        this.events = events;
        this.store = store;
        this.registry = registry;
        this.clusterId = clusterId;
    }

    /** Whether the bundle in {@code dir} was announced to the broker this service publishes to now. */
    boolean publishedHere(java.nio.file.Path dir) {
        return clusterId.get().map(id -> store.published(dir, id)).orElse(false);
    }

    /**
     * ArtifactCreated for each artifact component the recipe changed (with its source), and once per process for
     * the source's own components when the source is a full-precision bundle. Then marks the bundle as published.
     */
    void publishQuantized(ModelBundle source, ModelBundle out, StoredBundle stored, String recipeJson) {
        List<ArtifactCreated> batch = new ArrayList<>();
        List<String> registering = new ArrayList<>();
        long now = System.currentTimeMillis();
        if (ArtifactEvents.fullPrecision(source)) {
            for (ArtifactCreated e : ArtifactEvents.registrations(source, now)) {
                if (!registeredSources.contains(ArtifactEvents.key(e))) {
                    registering.add(ArtifactEvents.key(e));
                    batch.add(e);
                }
            }
        }
        batch.addAll(ArtifactEvents.quantized(source, stored.artifacts(), recipeJson, stored.manifestJson(), now));
        try {
            batch.forEach(events::publish);
        } catch (RuntimeException e) {
            throw new IllegalStateException("the bundle is in the artifact store (" + out.directory() + ") but its"
                    + " ArtifactCreated events could not be published (" + Failures.describe(e) + "); submit again to"
                    + " publish them", e);
        }
        registeredSources.addAll(registering);
        registry.counter("qwm.quantizer.events.published").increment(batch.size());
        // a broker that answered the sends but not this question: unmarked, the next reuse announces again (idempotent)
        clusterId.get().ifPresent(id -> store.markPublished(out.directory(), id));
    }

    /**
     * Announces the encoder and predictor of a full-precision bundle (ArtifactCreated without a source). Publishes
     * even if this process did before: the event ids are the same.
     */
    void publishFullPrecision(ModelBundle source) {
        List<ArtifactCreated> batch = ArtifactEvents.registrations(source, System.currentTimeMillis());
        try {
            batch.forEach(events::publish);
        } catch (RuntimeException e) {
            throw new IllegalStateException("the ArtifactCreated events of " + source.directory()
                    + " could not be published: " + Failures.describe(e), e);
        }
        batch.forEach(e -> registeredSources.add(ArtifactEvents.key(e)));
        registry.counter("qwm.quantizer.events.published").increment(batch.size());
    }
}
