package dev.qwm.predictor.inference;

import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import io.grpc.Deadline;
import io.grpc.Status;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;

/**
 * Merges the rollouts of concurrent sessions on one predictor artifact into one predictor batch. One worker thread
 * takes the oldest queued rollout, adds every queued rollout of the same horizon that fits in
 * {@code maxBatchCandidates}, and waits for more until the oldest one has been queued for {@code window}, unless
 * every open session of the artifact is already in the batch (so a lone session never waits). The batch runs as
 * one {@link BatchRunner} call; each rollout gets back its own candidates' last frames.
 *
 * <p>A rollout whose caller gave up (its future cancelled) or whose deadline passed while it was queued is dropped
 * unrun (DEADLINE_EXCEEDED), so a backlog of abandoned calls never holds the predictor.
 */
final class RolloutBatcher implements AutoCloseable {

    /** Runs one merged batch: candidate group {@code g} has {@code sizes[g]} candidates and starts at {@code starts[g]}. */
    interface BatchRunner {
        float[] run(Latent[] starts, int[] sizes, ActionBatch actions);
    }

    /** What the batcher reports of each merged batch (metrics). */
    interface BatchListener {
        void batch(int requests, int candidates, long oldestQueuedNanos, long inferenceNanos);
    }

    private record Job(String client, Latent start, ActionBatch actions, Deadline deadline, long enqueuedNanos,
                       CompletableFuture<float[]> lastFrames) {

        /** Whether running it would be wasted: its caller gave up, or its deadline passed (then it fails so). */
        boolean abandoned() {
            if (lastFrames.isDone()) {
                return true;
            }
            if (deadline != null && deadline.isExpired()) {
                lastFrames.completeExceptionally(Status.DEADLINE_EXCEEDED.withDescription("the call's deadline passed"
                        + " after " + (System.nanoTime() - enqueuedNanos) / 1_000_000 + " ms in the predictor's queue;"
                        + " its rollout was not run").asRuntimeException());
                return true;
            }
            return false;
        }
    }

    private final String label;
    private final BatchRunner runner;
    private final BatchListener listener;
    private final long windowNanos;
    private final int maxBatchCandidates;
    private final IntSupplier openClients;
    private final int frameSize;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final ArrayDeque<Job> queue = new ArrayDeque<>();
    private boolean closed;
    private final Thread worker;

    /**
     * @param frameSize   floats per candidate in the runner's result ({@code N x E})
     * @param openClients how many clients (sessions) could send a rollout now: the batch stops waiting once all
     *                    of them are in it
     */
    RolloutBatcher(String label, BatchRunner runner, BatchListener listener, long windowNanos,
                   int maxBatchCandidates, IntSupplier openClients, int frameSize) {
        if (windowNanos < 0 || maxBatchCandidates < 1) {
            throw new IllegalArgumentException("batch window must be >= 0 and max batch candidates >= 1, got "
                    + windowNanos + " ns and " + maxBatchCandidates);
        }
        this.label = label;
        this.runner = runner;
        this.listener = listener;
        this.windowNanos = windowNanos;
        this.maxBatchCandidates = maxBatchCandidates;
        this.openClients = openClients;
        this.frameSize = frameSize;
        this.worker = new Thread(this::work, "rollout-batcher-" + label);
        worker.setDaemon(true);
        worker.start();
    }

    /**
     * Queues a rollout of {@code actions} from {@code start} for {@code client}.
     *
     * @param deadline when the caller stops waiting (null: never); past it, the rollout is not run
     * @return the last imagined frames of its candidates, {@code [C, N, E]}; cancelling it drops the rollout if it
     *         has not started
     * @throws ArtifactClosedException if the batcher was closed
     */
    CompletableFuture<float[]> submit(String client, Latent start, ActionBatch actions, Deadline deadline) {
        Job job = new Job(client, start, actions, deadline, System.nanoTime(), new CompletableFuture<>());
        lock.lock();
        try {
            if (closed) {
                throw new ArtifactClosedException(label);
            }
            queue.add(job);
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        return job.lastFrames();
    }

    private void work() {
        List<Job> batch;
        while ((batch = nextBatch()) != null) {
            run(batch);
        }
    }

    /** The next batch to run, or null once closed and drained. */
    private List<Job> nextBatch() {
        lock.lock();
        try {
            queue.removeIf(Job::abandoned);
            while (queue.isEmpty()) {
                if (closed) {
                    return null;
                }
                arrived.awaitUninterruptibly();
                queue.removeIf(Job::abandoned);
            }
            Job head = queue.poll();
            List<Job> batch = new ArrayList<>();
            batch.add(head);
            Set<String> clients = new HashSet<>();
            clients.add(head.client());
            int candidates = head.actions().batch();
            long deadline = head.enqueuedNanos() + windowNanos;
            while (true) {
                for (Iterator<Job> it = queue.iterator(); it.hasNext() && candidates < maxBatchCandidates; ) {
                    Job job = it.next();
                    if (job.abandoned()) {
                        it.remove();
                    } else if (job.actions().horizon() == head.actions().horizon()
                            && candidates + job.actions().batch() <= maxBatchCandidates) {
                        it.remove();
                        batch.add(job);
                        clients.add(job.client());
                        candidates += job.actions().batch();
                    }
                }
                long remaining = deadline - System.nanoTime();
                if (closed || remaining <= 0 || candidates >= maxBatchCandidates
                        || clients.size() >= openClients.getAsInt()) {
                    return batch;
                }
                try {
                    arrived.awaitNanos(remaining);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return batch;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void run(List<Job> batch) {
        // a caller that gave up while the batch waited for others is not computed for
        batch.removeIf(Job::abandoned);
        if (batch.isEmpty()) {
            return;
        }
        long started = System.nanoTime();
        try {
            float[] frames;
            if (batch.size() == 1) {
                Job job = batch.get(0);
                frames = runner.run(new Latent[] {job.start()}, new int[] {job.actions().batch()}, job.actions());
                listener.batch(1, job.actions().batch(), started - job.enqueuedNanos(), System.nanoTime() - started);
                job.lastFrames().complete(frames);
                return;
            }
            Latent[] starts = new Latent[batch.size()];
            int[] sizes = new int[batch.size()];
            int candidates = 0;
            int values = 0;
            for (int i = 0; i < batch.size(); i++) {
                ActionBatch a = batch.get(i).actions();
                starts[i] = batch.get(i).start();
                sizes[i] = a.batch();
                candidates += a.batch();
                values += a.data().length;
            }
            ActionBatch first = batch.get(0).actions();
            float[] data = new float[values];
            int at = 0;
            for (Job job : batch) {
                System.arraycopy(job.actions().data(), 0, data, at, job.actions().data().length);
                at += job.actions().data().length;
            }
            frames = runner.run(starts, sizes, new ActionBatch(candidates, first.horizon(), first.actionDim(), data));
            listener.batch(batch.size(), candidates, started - batch.get(0).enqueuedNanos(), System.nanoTime() - started);
            int from = 0;
            for (Job job : batch) {
                int to = from + job.actions().batch() * frameSize;
                job.lastFrames().complete(java.util.Arrays.copyOfRange(frames, from, to));
                from = to;
            }
        } catch (RuntimeException | Error e) {
            batch.forEach(job -> job.lastFrames().completeExceptionally(e));
        }
    }

    /** Stops taking rollouts, runs the queued ones, and waits for the worker to finish (at most 60 s). */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            worker.join(TimeUnit.SECONDS.toMillis(60));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
