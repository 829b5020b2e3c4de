package dev.qwm.quantizer.job;

import java.util.List;

/** One job's mutable state; every change and every read holds the job's lock, so a view is consistent. */
final class QuantizationJob {

    private final String id;
    private final String sourceBundle;
    private final String recipeName;
    private final long submittedAtUnixMs;
    private JobState state = JobState.RUNNING;
    private double progress;
    private String message;
    private String bundle;
    private List<Artifact> artifacts = List.of();
    private String manifestJson;
    private boolean reused;
    private Long finishedAtUnixMs;
    private volatile boolean cancelRequested;

    QuantizationJob(String id, String sourceBundle, String recipeName, String message) {
        this.id = id;
        this.sourceBundle = sourceBundle;
        this.recipeName = recipeName;
        this.message = message;
        this.submittedAtUnixMs = System.currentTimeMillis();
    }

    /** Asks a running job to stop; whether it was running (a finished job does not change). */
    synchronized boolean requestCancel() {
        if (state != JobState.RUNNING) {
            return false;
        }
        cancelRequested = true;
        return true;
    }

    /** On the job's thread, between two steps of work: stops it if its cancellation was requested. */
    void stopIfCancelled() {
        if (cancelRequested) {
            throw new JobCancelledException(id);
        }
    }

    synchronized void cancelled(String text) {
        if (state != JobState.RUNNING) {
            return;
        }
        state = JobState.CANCELLED;
        message = text;
        finishedAtUnixMs = System.currentTimeMillis();
    }

    String id() {
        return id;
    }

    synchronized JobState state() {
        return state;
    }

    synchronized boolean finished() {
        return state != JobState.RUNNING;
    }

    synchronized long finishedAt() {
        return finishedAtUnixMs == null ? Long.MAX_VALUE : finishedAtUnixMs;
    }

    /** Progress never goes back, and a finished job does not change any more. */
    synchronized void progress(double fraction, String text) {
        if (state != JobState.RUNNING) {
            return;
        }
        progress = Math.max(progress, Math.min(1.0, Math.max(0.0, fraction)));
        if (text != null) {
            message = text;
        }
    }

    synchronized void succeeded(StoredBundle stored, boolean fromStore, String text) {
        state = JobState.SUCCEEDED;
        progress = 1.0;
        message = text;
        bundle = stored.bundle();
        artifacts = stored.artifacts();
        manifestJson = stored.manifestJson();
        reused = fromStore;
        finishedAtUnixMs = System.currentTimeMillis();
    }

    synchronized void failed(String text) {
        state = JobState.FAILED;
        message = text;
        finishedAtUnixMs = System.currentTimeMillis();
    }

    synchronized JobView view() {
        return new JobView(id, state, progress, message, sourceBundle, recipeName, bundle, artifacts, manifestJson, reused,
                submittedAtUnixMs, finishedAtUnixMs);
    }
}
