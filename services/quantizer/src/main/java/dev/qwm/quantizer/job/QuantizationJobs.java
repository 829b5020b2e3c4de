package dev.qwm.quantizer.job;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.api.events.v1.ArtifactCreated;
import dev.qwm.onnx.bundle.BundleException;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.eval.EpisodeSources;
import dev.qwm.quant.ModuleQuantizer;
import dev.qwm.quant.bundle.BundleQuantizer;
import dev.qwm.quant.bundle.PlanningCalibration;
import dev.qwm.quant.emit.EmitOptions;
import dev.qwm.quant.recipe.CalibrationSettings;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.RecipeException;
import dev.qwm.quant.recipe.WorldModelModule;
import dev.qwm.quantizer.config.QuantizerConfig;
import dev.qwm.quantizer.messaging.ArtifactEventPublisher;
import dev.qwm.quantizer.recipe.RecipeRequests;
import dev.qwm.quantizer.store.ArtifactStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The quantization jobs of this service. A submission is checked at once (recipe, source bundle, the recipe bound to
 * the bundle's graphs, calibration data), then named by its content key, which is also the job id and the output
 * folder: a bundle already in the store is returned at once, a job already running for the same key is returned
 * as it is, and anything else is queued on a bounded executor ({@code quantizer.jobs.concurrency} at a time).
 * A finished bundle is renamed into the store, then its ArtifactCreated events are published; only then does the
 * job succeed.
 */
@ApplicationScoped
public class QuantizationJobs {

    private static final Logger LOG = Logger.getLogger(QuantizationJobs.class);
    /** The bundle components that are artifacts of studies: the encoder and the predictor. */
    private static final Map<String, ModelComponent> ARTIFACT_COMPONENTS = Map.of(
            BundleManifest.VISUAL_ENCODER, ModelComponent.MODEL_COMPONENT_ENCODER,
            BundleManifest.PREDICTOR, ModelComponent.MODEL_COMPONENT_PREDICTOR);

    private final QuantizerConfig config;
    private final ArtifactStore store;
    private final ArtifactEventPublisher events;
    private final MeterRegistry registry;
    private final EmitOptions emit;
    private final SessionConfig ort;
    private final ThreadPoolExecutor executor;
    /** Re-publishes the events of stored bundles whose publication did not complete; never waits behind a job. */
    private final ExecutorService republisher;
    private final Map<String, QuantizationJob> jobs = new LinkedHashMap<>();
    /** FP artifacts (sha256 @ bundle) this process has registered, so that each source is announced once. */
    private final Set<String> registeredSources = ConcurrentHashMap.newKeySet();

    /** What a job needs to run, fixed at submission. */
    private record Plan(String id, Path sourceDir, Map<String, String> sourceShas, Recipe recipe, String recipeJson,
                        PlannerBudget calibrationBudget, Path dataset) {
    }

    public QuantizationJobs(QuantizerConfig config, ArtifactStore store, ArtifactEventPublisher events,
                            MeterRegistry registry) {
        this.config = config;
        this.store = store;
        this.events = events;
        this.registry = registry;
        EmitOptions.Int8Flavor flavor;
        try {
            flavor = EmitOptions.Int8Flavor.valueOf(config.emit().int8().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("quantizer.emit.int8 must be auto, u8s8 or u8u8, got '" + config.emit().int8() + "'");
        }
        this.emit = EmitOptions.DEFAULTS.withAccuracyLevel(config.emit().accuracyLevel()).withInt8Flavor(flavor);
        this.ort = SessionConfig.ofThreads(config.jobs().intraOpThreads());
        int slots = config.jobs().concurrency();
        if (slots < 1 || config.jobs().maxQueued() < 1) {
            throw new IllegalArgumentException("quantizer.jobs.concurrency and quantizer.jobs.max-queued must be at least 1");
        }
        AtomicInteger threads = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(slots, slots, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(config.jobs().maxQueued()), r -> {
                    Thread t = new Thread(r, "quantizer-job-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.republisher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "quantizer-republish");
            t.setDaemon(true);
            return t;
        });
        for (String outcome : List.of("succeeded", "failed", "reused", "refused")) {
            registry.counter("qwm.quantizer.jobs", "outcome", outcome);
        }
        registry.gauge("qwm.quantizer.jobs.queued", executor, e -> e.getQueue().size());
        registry.gauge("qwm.quantizer.jobs.running", executor, ThreadPoolExecutor::getActiveCount);
    }

    /**
     * Checks a submission and starts (or finds) its job.
     *
     * @throws InvalidSubmissionException naming what is wrong with the bundle or the recipe
     * @throws QueueFullException         when the queue of waiting jobs is full
     */
    public JobView submit(String bundle, Recipe recipe) {
        return submit(bundle, recipe, false);
    }

    /**
     * As {@link #submit(String, Recipe)}; with {@code calibrate}, a recipe that needs no data (weight-only RTN/OMSE) is
     * calibrated all the same, so that its manifest holds every layer's output error on calibration data (the
     * report's layer sensitivity).
     */
    public JobView submit(String bundle, Recipe recipe, boolean calibrate) {
        Plan plan;
        ModelBundle source;
        try {
            source = readSource(bundle);
            plan = plan(source, recipe, calibrate);
        } catch (InvalidSubmissionException e) {
            registry.counter("qwm.quantizer.jobs", "outcome", "refused").increment();
            throw e;
        }
        // verifying a stored bundle reads all of it: outside the lock, so that polls are not held up
        Optional<ModelBundle> stored = findStored(plan.id());
        synchronized (jobs) {
            QuantizationJob previous = jobs.get(plan.id());
            if (previous != null && !previous.finished()) {
                return previous.view(); // the same bundle and recipe are being quantized right now
            }
            if (stored.isEmpty() && previous != null && previous.state() == JobState.SUCCEEDED) {
                stored = findStored(plan.id()); // it finished in the meantime
            }
            QuantizationJob job = new QuantizationJob(plan.id(), plan.sourceDir().toString(), recipe.name(), "queued");
            if (stored.isPresent()) {
                reuse(job, plan, source, stored.get());
            } else {
                int ahead = executor.getActiveCount() + executor.getQueue().size();
                job.progress(0, ahead == 0 ? "queued" : "queued behind " + ahead + " job(s)");
                try {
                    executor.execute(() -> run(job, plan));
                } catch (RejectedExecutionException e) {
                    registry.counter("qwm.quantizer.jobs", "outcome", "refused").increment();
                    throw new QueueFullException(config.jobs().maxQueued());
                }
                LOG.infof("job %s: quantizing %s with recipe %s", plan.id(), plan.sourceDir(), recipe.name());
            }
            remember(job);
            return job.view();
        }
    }

    private Optional<ModelBundle> findStored(String id) {
        try {
            return store.find(id);
        } catch (IllegalStateException e) {
            registry.counter("qwm.quantizer.jobs", "outcome", "refused").increment();
            throw new InvalidSubmissionException(e.getMessage(), e);
        }
    }

    /**
     * The job {@code id}; after a restart (or once evicted from memory) a succeeded job is still answered from the
     * artifact store, since its id names its bundle.
     *
     * @throws UnknownJobException if there is no such job and no such bundle
     */
    public JobView get(String id) {
        synchronized (jobs) {
            QuantizationJob job = jobs.get(id);
            if (job != null) {
                return job.view();
            }
        }
        if (!ArtifactStore.validId(id)) {
            throw new UnknownJobException(id);
        }
        ModelBundle stored = store.find(id).orElseThrow(() -> new UnknownJobException(id));
        QuantizationJob job = new QuantizationJob(id, "", "", "");
        job.succeeded(StoredBundle.of(stored), true, "in the artifact store: " + stored.directory());
        return job.view();
    }

    private ModelBundle readSource(String bundle) {
        if (bundle == null || bundle.isBlank()) {
            throw new InvalidSubmissionException("no source bundle: give the folder of a model bundle");
        }
        Path dir;
        try {
            dir = Path.of(bundle.trim()).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new InvalidSubmissionException("source bundle '" + bundle + "' is not a valid path: " + e.getReason());
        }
        try {
            return ModelBundle.read(dir);
        } catch (BundleException e) {
            throw new InvalidSubmissionException("cannot read source bundle: " + e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw new InvalidSubmissionException("cannot read source bundle " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Everything that can be refused is refused here, before a job exists. */
    private Plan plan(ModelBundle source, Recipe recipe, boolean calibrate) {
        try {
            recipe.validate();
            for (Map.Entry<WorldModelModule, dev.qwm.quant.recipe.ModuleRecipe> m : recipe.modules().entrySet()) {
                // binds the recipe to this bundle's graph: a layer pattern that matches nothing, a graph without
                // linear layers, or transforms that disagree on a shared input are refused now, not after an hour
                ModuleQuantizer.prepare(OnnxModels.read(source.componentPath(m.getKey().component())), m.getKey(), m.getValue());
            }
        } catch (RecipeException e) {
            throw new InvalidSubmissionException(e.getMessage(), e);
        } catch (BundleException | UncheckedIOException e) {
            throw new InvalidSubmissionException("cannot read source bundle " + source.directory() + ": " + e.getMessage(), e);
        }
        String environment = source.manifest().environment();
        PlannerBudget budget = null;
        Path dataset = null;
        if (recipe.needsCalibration() || calibrate) {
            budget = calibrationBudget(environment);
            if (environment.equals("pusht")) {
                String configured = config.datasets().get("pusht");
                dataset = configured == null || configured.isBlank() ? null : Path.of(configured).toAbsolutePath().normalize();
                if (dataset == null || !Files.isDirectory(dataset)) {
                    throw new InvalidSubmissionException("recipe '" + recipe.name() + "' calibrates on FP planning episodes,"
                            + " and PushT's calibration goals come from a dataset's training trajectories, but there is no"
                            + " dataset at " + (dataset == null ? "(none configured)" : dataset) + ": set"
                            + " quantizer.datasets.pusht (QWM_PUSHT_DATASET) or make one with ./qwm dataset --env pusht");
                }
            }
        }
        String canonical = RecipeRequests.canonicalJson(recipe);
        String settings = String.format(Locale.ROOT, "emit accuracyLevel=%d int8=%s perChannelBlock=%d; calibration %s",
                emit.accuracyLevel(), emit.int8Flavor(), emit.perChannelBlockSize(), budget == null ? "none" : budget);
        String id = ArtifactStore.key(source, recipe.name(), canonical, settings);
        return new Plan(id, source.directory(), shas(source), recipe, canonical, budget, dataset);
    }

    private PlannerBudget calibrationBudget(String environment) {
        PlannerBudget budget = PlannerBudget.dinoWm(environment);
        try {
            if (config.calibration().samples().isPresent()) {
                int samples = config.calibration().samples().get();
                budget = budget.withTopK(Math.min(budget.topK(), samples)).withSamples(samples);
            }
            if (config.calibration().optSteps().isPresent()) {
                budget = budget.withOptSteps(config.calibration().optSteps().get());
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("quantizer.calibration.* is not a valid planner budget: " + e.getMessage(), e);
        }
        return budget;
    }

    private void run(QuantizationJob job, Plan plan) {
        long start = System.nanoTime();
        Path partial = null;
        String outcome = "failed";
        try {
            job.progress(0, "reading " + plan.sourceDir());
            ModelBundle source = ModelBundle.read(plan.sourceDir());
            if (!shas(source).equals(plan.sourceShas())) {
                throw new IllegalStateException("source bundle " + plan.sourceDir() + " changed after the submission;"
                        + " submit again");
            }
            Recipe recipe = plan.recipe();
            CalibrationSettings c = recipe.calibration();
            PlannerBudget budget = plan.calibrationBudget();
            JobProgress progress = budget == null ? new JobProgress(job, 0, 0, recipe.modules().size())
                    : new JobProgress(job, c.episodes(), c.quantIter() * budget.optSteps(), recipe.modules().size());
            PlanningCalibration calibration = budget == null ? null : new PlanningCalibration(
                    EpisodeSources.forEnvironment(source.manifest().environment(), plan.dataset()), budget, progress);
            partial = store.newPartial(job.id());
            BundleQuantizer.quantize(source, recipe, calibration, partial, new ModuleQuantizer.Options(emit, ort, progress));
            progress.writing("moving the bundle into the artifact store");
            ModelBundle out = store.commit(partial, job.id());
            partial = null;
            StoredBundle stored = StoredBundle.of(out);
            progress.writing("publishing ArtifactCreated events");
            publishAll(source, out, stored, plan);
            double seconds = (System.nanoTime() - start) / 1e9;
            job.succeeded(stored, false, String.format(Locale.ROOT, "quantized in %.1f s into %s", seconds, out.directory()));
            outcome = "succeeded";
            LOG.infof("job %s: succeeded in %.1f s", job.id(), seconds);
        } catch (Throwable e) {
            job.failed(describe(e));
            LOG.errorf(e, "job %s failed: %s", job.id(), describe(e));
        } finally {
            store.discard(partial);
            registry.counter("qwm.quantizer.jobs", "outcome", outcome).increment();
            Timer.builder("qwm.quantizer.job.duration").description("time from start to end of a quantization job")
                    .tag("outcome", outcome).register(registry).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    /** A bundle already in the store: done at once, unless its events were never published (then publish first). */
    private void reuse(QuantizationJob job, Plan plan, ModelBundle source, ModelBundle stored) {
        registry.counter("qwm.quantizer.jobs", "outcome", "reused").increment();
        StoredBundle described = StoredBundle.of(stored);
        if (store.published(stored.directory())) {
            job.succeeded(described, true, "already in the artifact store: " + stored.directory());
            return;
        }
        job.progress(0.95, "in the artifact store; publishing its ArtifactCreated events");
        republisher.execute(() -> {
            try {
                publishAll(source, stored, described, plan);
                job.succeeded(described, true, "already in the artifact store: " + stored.directory());
            } catch (Throwable e) {
                job.failed(describe(e));
            }
        });
    }

    /**
     * ArtifactCreated for each artifact component the recipe changed (with its source), and once per process for
     * the source's own components when the source is a full-precision bundle. Then marks the bundle as published.
     */
    private void publishAll(ModelBundle source, ModelBundle out, StoredBundle stored, Plan plan) {
        List<ArtifactCreated> batch = new ArrayList<>();
        List<String> registering = new ArrayList<>();
        long now = System.currentTimeMillis();
        if (fullPrecision(source)) {
            for (ArtifactCreated e : registrations(source, now)) {
                String key = e.getArtifact().getSha256() + "@" + e.getArtifact().getBundle();
                if (!registeredSources.contains(key)) {
                    registering.add(key);
                    batch.add(e);
                }
            }
        }
        for (Artifact a : stored.artifacts()) {
            ArtifactRef from = ref(source, a.file(), a.component());
            if (!a.sha256().equals(from.getSha256())) {
                batch.add(event(a.ref(), from, plan.recipeJson(), stored.manifestJson(), a.bytes(), now));
            }
        }
        try {
            for (ArtifactCreated e : batch) {
                events.publish(e);
            }
        } catch (RuntimeException e) {
            throw new IllegalStateException("the bundle is in the artifact store (" + out.directory() + ") but its"
                    + " ArtifactCreated events could not be published (" + describe(e) + "); submit again to publish them", e);
        }
        registeredSources.addAll(registering);
        registry.counter("qwm.quantizer.events.published").increment(batch.size());
        store.markPublished(out.directory());
    }

    /**
     * Announces the encoder and predictor of a full-precision bundle (ArtifactCreated without a source), e.g. for a
     * study that evaluates FP only. Publishes even if this process did before: the event ids are the same.
     *
     * @throws InvalidSubmissionException if the bundle cannot be read or is itself quantized
     */
    public List<Artifact> register(String bundle) {
        ModelBundle source = readSource(bundle);
        if (!fullPrecision(source)) {
            throw new InvalidSubmissionException("bundle " + source.directory() + " is a quantized bundle; its artifacts"
                    + " are announced, with their source, by the job that made it (submit its recipe again to publish"
                    + " them again)");
        }
        List<ArtifactCreated> batch = registrations(source, System.currentTimeMillis());
        try {
            batch.forEach(events::publish);
        } catch (RuntimeException e) {
            throw new IllegalStateException("the ArtifactCreated events of " + source.directory()
                    + " could not be published: " + describe(e), e);
        }
        batch.forEach(e -> registeredSources.add(e.getArtifact().getSha256() + "@" + e.getArtifact().getBundle()));
        registry.counter("qwm.quantizer.events.published").increment(batch.size());
        return ARTIFACT_COMPONENTS.entrySet().stream().sorted(Map.Entry.comparingByValue())
                .map(c -> StoredBundle.artifact(source, c.getKey(), c.getValue(), source.manifest().name(), false))
                .toList();
    }

    private static boolean fullPrecision(ModelBundle b) {
        return b.manifest().provenance() == null || !b.manifest().provenance().has("quantization");
    }

    /** ArtifactCreated without a source for the encoder and predictor of a full-precision bundle. */
    private static List<ArtifactCreated> registrations(ModelBundle source, long now) {
        List<ArtifactCreated> out = new ArrayList<>();
        for (Map.Entry<String, ModelComponent> c : new TreeMap<>(ARTIFACT_COMPONENTS).entrySet()) {
            out.add(event(ref(source, c.getKey(), c.getValue()), null, "", source.manifest().provenance() == null ? ""
                    : source.manifest().provenance().toString(), source.manifest().components().get(c.getKey()).bytes(), now));
        }
        return out;
    }

    private static ArtifactRef ref(ModelBundle b, String file, ModelComponent component) {
        return ArtifactRef.newBuilder().setSha256(b.manifest().components().get(file).sha256()).setComponent(component)
                .setBundle(b.directory().toString()).setLabel(b.manifest().name()).build();
    }

    /** Event ids derive from (artifact, bundle), so a republication is recognised as the same event downstream. */
    private static ArtifactCreated event(ArtifactRef artifact, ArtifactRef source, String recipeJson, String manifestJson,
                                         long bytes, long now) {
        String eventId = UUID.nameUUIDFromBytes(("qwm.quantizer.artifact-created|" + artifact.getSha256() + "|"
                + artifact.getBundle()).getBytes(StandardCharsets.UTF_8)).toString();
        ArtifactCreated.Builder b = ArtifactCreated.newBuilder().setEventId(eventId).setArtifact(artifact)
                .setRecipeJson(recipeJson).setManifestJson(manifestJson).setSizeBytes(bytes).setCreatedAtUnixMs(now);
        if (source != null) {
            b.setSource(source);
        }
        return b.build();
    }

    private static Map<String, String> shas(ModelBundle b) {
        Map<String, String> shas = new TreeMap<>();
        b.manifest().components().forEach((name, c) -> shas.put(name, c.sha256()));
        return shas;
    }

    /** Keeps at most {@code quantizer.jobs.retained} finished jobs; the oldest finished go first. */
    private void remember(QuantizationJob job) {
        jobs.remove(job.id());
        jobs.put(job.id(), job);
        int excess = jobs.size() - config.jobs().retained();
        if (excess > 0) {
            jobs.values().stream().filter(QuantizationJob::finished)
                    .sorted(java.util.Comparator.comparingLong(QuantizationJob::finishedAt))
                    .limit(excess).map(QuantizationJob::id).toList().forEach(jobs::remove);
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName() + (e.getCause() != null ? ": " + describe(e.getCause()) : "");
        }
        if (e instanceof UncheckedIOException && e.getCause() != null && e.getCause().getMessage() != null
                && !m.contains(e.getCause().getMessage())) {
            return m + ": " + e.getCause().getMessage();
        }
        return m;
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
        republisher.shutdownNow();
    }
}
