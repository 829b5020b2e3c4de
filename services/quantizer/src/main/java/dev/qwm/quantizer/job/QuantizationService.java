package dev.qwm.quantizer.job;

import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.eval.EpisodeSources;
import dev.qwm.quant.ModuleQuantizer;
import dev.qwm.quant.bundle.BundleQuantizer;
import dev.qwm.quant.bundle.PlanningCalibration;
import dev.qwm.quant.recipe.CalibrationSettings;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quantizer.config.QuantizerConfig;
import dev.qwm.quantizer.messaging.ArtifactEventPublisher;
import dev.qwm.quantizer.store.ArtifactStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The quantization service. A submission is checked at once ({@link SubmissionChecks}), then named by its content
 * key, which is also the job id and the output folder: a bundle already in the store is returned at once, a job
 * already running for the same key is returned as it is, and anything else is queued ({@link JobQueue}). A finished
 * bundle is renamed into the store, then its ArtifactCreated events are published ({@link ArtifactPublication});
 * only then does the job succeed.
 */
@ApplicationScoped
public class QuantizationService {

    private static final Logger LOG = Logger.getLogger(QuantizationService.class);

    private final ArtifactStore store;
    private final MeterRegistry registry;
    private final SubmissionChecks checks;
    private final JobQueue queue;
    private final ArtifactPublication publication;
    private final SessionConfig ort;
    /** Re-publishes the events of stored bundles whose publication did not complete; never waits behind a job. */
    private final ExecutorService republisher;
    private final JobJournal journal;

    public QuantizationService(QuantizerConfig config, ArtifactStore store, ArtifactEventPublisher events,
                               MeterRegistry registry,
                               @org.eclipse.microprofile.health.Readiness dev.qwm.quantizer.health.QuantizerBrokerReadiness broker) {
        this.store = store;
        this.registry = registry;
        this.checks = SubmissionChecks.of(config);
        this.ort = SessionConfig.ofThreads(config.jobs().intraOpThreads());
        this.queue = new JobQueue(config.jobs().concurrency(), config.jobs().maxQueued(), config.jobs().retained(), registry);
        this.publication = new ArtifactPublication(events, store, registry, broker::clusterId);
        this.republisher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "quantizer-republish");
            t.setDaemon(true);
            return t;
        });
        for (String outcome : List.of("succeeded", "failed", "cancelled", "reused", "refused")) {
            registry.counter("qwm.quantizer.jobs", "outcome", outcome);
        }
        this.journal = new JobJournal(store.root());
        int interrupted = journal.failInterrupted(java.time.Instant.now());
        if (interrupted > 0) {
            LOG.warnf("%d job(s) were queued or running when the quantizer stopped: recorded as failed (interrupted);"
                    + " submitting them again runs them", interrupted);
        }
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
        Submission plan;
        ModelBundle source;
        try {
            source = checks.readSource(bundle);
            plan = checks.check(source, recipe, calibrate);
        } catch (InvalidSubmissionException e) {
            count("refused");
            throw e;
        }
        // verifying a stored bundle reads all of it: outside the queue's lock, so that polls are not held up
        Optional<ModelBundle> storedBefore = findStored(plan.id());
        try {
            JobView admitted = queue.admit(plan.id(), previous -> {
                Optional<ModelBundle> stored = storedBefore;
                if (stored.isEmpty() && previous.isPresent() && previous.get().state() == JobState.SUCCEEDED) {
                    stored = findStored(plan.id()); // it finished in the meantime
                }
                QuantizationJob job = new QuantizationJob(plan.id(), plan.sourceDir().toString(), recipe.name(), "queued");
                if (stored.isPresent()) {
                    reuse(job, plan, source, stored.get());
                } else {
                    queue.enqueue(job, () -> run(job, plan));
                    LOG.infof("job %s: quantizing %s with recipe %s", plan.id(), plan.sourceDir(), recipe.name());
                }
                return job;
            });
            // the job may be running already: what is recorded is its state when the record is written
            journal.write(() -> queue.find(plan.id()).orElse(admitted));
            return admitted;
        } catch (QueueFullException e) {
            count("refused");
            throw e;
        }
    }

    private Optional<ModelBundle> findStored(String id) {
        try {
            return store.find(id);
        } catch (IllegalStateException e) {
            count("refused");
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
        Optional<JobView> known = queue.find(id);
        if (known.isPresent()) {
            return known.get();
        }
        if (!ArtifactStore.validId(id)) {
            throw new UnknownJobException(id);
        }
        // failed, cancelled or interrupted before this process started (a succeeded one is read from its bundle)
        Optional<JobView> recorded = journal.find(id).filter(j -> j.state() != JobState.SUCCEEDED);
        if (recorded.isPresent()) {
            return recorded.get();
        }
        ModelBundle stored = store.find(id).orElseThrow(() -> new UnknownJobException(id));
        QuantizationJob job = new QuantizationJob(id, "", "", "");
        job.succeeded(StoredBundle.of(stored), true, "in the artifact store: " + stored.directory());
        return job.view();
    }

    /**
     * Cancels the job {@code id}: a queued job is taken out of the queue and never runs; a running one stops at its
     * next step of calibration or quantization, before anything is stored (once it is writing its bundle, it
     * finishes). A finished job is returned as it is.
     *
     * @throws UnknownJobException if there is no such job and no such bundle
     */
    public JobView cancel(String id) {
        Optional<QuantizationJob> running = queue.job(id);
        if (running.isEmpty()) {
            return get(id);
        }
        QuantizationJob job = running.get();
        if (job.requestCancel() && queue.dequeue(job)) {
            job.cancelled("cancelled while queued; it never ran");
            journal.write(job::view);
            count("cancelled");
            LOG.infof("job %s: cancelled while queued", id);
        }
        return job.view();
    }

    /**
     * Announces the encoder and predictor of a full-precision bundle (ArtifactCreated without a source), e.g. for a
     * study that evaluates FP only. Publishes even if this process did before: the event ids are the same.
     *
     * @throws InvalidSubmissionException if the bundle cannot be read or is itself quantized
     */
    public List<Artifact> register(String bundle) {
        ModelBundle source = checks.readSource(bundle);
        if (!ArtifactEvents.fullPrecision(source)) {
            throw new InvalidSubmissionException("bundle " + source.directory() + " is a quantized bundle; its artifacts"
                    + " are announced, with their source, by the job that made it (submit its recipe again to publish"
                    + " them again)");
        }
        publication.publishFullPrecision(source);
        return ArtifactEvents.COMPONENTS.entrySet().stream().sorted(Map.Entry.comparingByValue())
                .map(c -> StoredBundle.artifact(source, c.getKey(), c.getValue(), source.manifest().name(), false))
                .toList();
    }

    private void run(QuantizationJob job, Submission plan) {
        long start = System.nanoTime();
        Path partial = null;
        String outcome = "failed";
        try {
            job.stopIfCancelled();
            job.progress(0, "reading " + plan.sourceDir());
            journal.write(job::view);
            ModelBundle source = ModelBundle.read(plan.sourceDir());
            if (!SubmissionChecks.shas(source).equals(plan.sourceShas())) {
                throw new IllegalStateException("source bundle " + plan.sourceDir() + " changed after the submission;"
                        + " submit again");
            }
            Recipe recipe = plan.recipe();
            CalibrationSettings c = recipe.calibration();
            PlannerBudget budget = plan.calibrationBudget();
            JobProgress progress = budget == null ? new JobProgress(job, 0, 0, recipe.modules().size())
                    : new JobProgress(job, c.episodes(), c.quantIter() * budget.optSteps(), recipe.modules().size());
            PlanningCalibration calibration = budget == null ? null : new PlanningCalibration(
                    EpisodeSources.forBundle(source.manifest(), plan.dataset()), budget, progress);
            partial = store.newPartial(job.id());
            BundleQuantizer.quantize(source, recipe, calibration, partial,
                    new ModuleQuantizer.Options(checks.emit(), ort, progress));
            progress.writing("moving the bundle into the artifact store");
            ModelBundle out = store.commit(partial, job.id());
            partial = null;
            StoredBundle stored = StoredBundle.of(out);
            progress.writing("publishing ArtifactCreated events");
            publication.publishQuantized(source, out, stored, plan.recipeJson());
            double seconds = (System.nanoTime() - start) / 1e9;
            job.succeeded(stored, false, String.format(Locale.ROOT, "quantized in %.1f s into %s", seconds, out.directory()));
            outcome = "succeeded";
            LOG.infof("job %s: succeeded in %.1f s", job.id(), seconds);
        } catch (JobCancelledException e) {
            String at = job.view().message();
            job.cancelled(String.format(Locale.ROOT, "cancelled after %.1f s (%s); nothing was stored",
                    (System.nanoTime() - start) / 1e9, at));
            outcome = "cancelled";
            LOG.infof("job %s: cancelled while running (%s)", job.id(), at);
        } catch (Throwable e) {
            job.failed(Failures.describe(e));
            LOG.errorf(e, "job %s failed: %s", job.id(), Failures.describe(e));
        } finally {
            store.discard(partial);
            journal.write(job::view);
            count(outcome);
            Timer.builder("qwm.quantizer.job.duration").description("time from start to end of a quantization job")
                    .tag("outcome", outcome).register(registry).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * A bundle already in the store: done at once, unless its events were never published to this broker (a fresh
     * stack over a kept store, or a publication that did not complete): then publish first.
     */
    private void reuse(QuantizationJob job, Submission plan, ModelBundle source, ModelBundle stored) {
        count("reused");
        StoredBundle described = StoredBundle.of(stored);
        if (publication.publishedHere(stored.directory())) {
            job.succeeded(described, true, "already in the artifact store: " + stored.directory());
            return;
        }
        job.progress(0.95, "in the artifact store; publishing its ArtifactCreated events");
        republisher.execute(() -> {
            try {
                publication.publishQuantized(source, stored, described, plan.recipeJson());
                job.succeeded(described, true, "already in the artifact store: " + stored.directory());
            } catch (Throwable e) {
                job.failed(Failures.describe(e));
            }
            journal.write(job::view);
        });
    }

    private void count(String outcome) {
        registry.counter("qwm.quantizer.jobs", "outcome", outcome).increment();
    }

    @PreDestroy
    void stop() {
        queue.close();
        republisher.shutdownNow();
    }
}
