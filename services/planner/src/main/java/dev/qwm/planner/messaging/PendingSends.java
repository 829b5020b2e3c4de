package dev.qwm.planner.messaging;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The events of one episode attempt that were sent without waiting (progress, so that planning does not pause on the
 * broker for every CEM step), awaited together before the attempt's completion is published: a completion on the
 * broker then implies every progress row of its attempt is there too.
 */
public final class PendingSends {

    private final String what;
    private final List<CompletableFuture<Void>> sends = new ArrayList<>();

    public PendingSends(String what) {
        this.what = what;
    }

    public synchronized void add(CompletionStage<Void> send) {
        sends.add(send.toCompletableFuture());
    }

    public synchronized int size() {
        return sends.size();
    }

    /**
     * Waits for every send; throws naming how many the broker did not acknowledge (and the first reason), so that
     * the attempt is planned again rather than completed with holes.
     */
    public void awaitAll(Duration timeout) {
        List<CompletableFuture<Void>> all;
        synchronized (this) {
            all = List.copyOf(sends);
        }
        try {
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the " + what + " to be acknowledged", e);
        } catch (ExecutionException | TimeoutException e) {
            long failed = all.stream().filter(f -> f.isCompletedExceptionally() || !f.isDone()).count();
            Throwable reason = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException(failed + " of " + all.size() + " " + what + " were not acknowledged by the "
                    + "broker within " + timeout.toSeconds() + " s (" + reason + ")", reason);
        }
    }
}
