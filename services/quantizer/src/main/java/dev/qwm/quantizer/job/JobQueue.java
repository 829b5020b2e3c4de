package dev.qwm.quantizer.job;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The jobs this process knows, by id, and the bounded executor that runs them ({@code concurrency} at a time, at
 * most {@code maxQueued} waiting). At most {@code retained} jobs are remembered: the oldest finished go first.
 */
final class JobQueue implements AutoCloseable {

    private final int maxQueued;
    private final int retained;
    private final ThreadPoolExecutor executor;
    private final Map<String, QuantizationJob> jobs = new LinkedHashMap<>();
    /** The executor's task of each job that has not finished, so a queued one can be taken out */
    private final Map<String, Future<?>> tasks = new java.util.concurrent.ConcurrentHashMap<>();

    JobQueue(int concurrency, int maxQueued, int retained, MeterRegistry registry) {
        if (concurrency < 1 || maxQueued < 1) {
            throw new IllegalArgumentException("quantizer.jobs.concurrency and quantizer.jobs.max-queued must be at least 1");
        }
        this.maxQueued = maxQueued;
        this.retained = retained;
        AtomicInteger threads = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(concurrency, concurrency, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(maxQueued), r -> {
                    Thread t = new Thread(r, "quantizer-job-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        registry.gauge("qwm.quantizer.jobs.queued", executor, e -> e.getQueue().size());
        registry.gauge("qwm.quantizer.jobs.running", executor, ThreadPoolExecutor::getActiveCount);
    }

    /**
     * The job {@code id} if it is still running; otherwise the job {@code start} makes (given the previous, finished
     * job of that id, if one is remembered), remembered from now on. One lock covers both, so that two equal
     * submissions make one job.
     */
    JobView admit(String id, Function<Optional<QuantizationJob>, QuantizationJob> start) {
        synchronized (jobs) {
            QuantizationJob previous = jobs.get(id);
            if (previous != null && !previous.finished()) {
                return previous.view();
            }
            QuantizationJob job = start.apply(Optional.ofNullable(previous));
            remember(job);
            return job.view();
        }
    }

    /**
     * Queues {@code work} for {@code job}, whose message says how many jobs are ahead.
     *
     * @throws QueueFullException when {@code maxQueued} jobs are waiting already
     */
    void enqueue(QuantizationJob job, Runnable work) {
        int ahead = executor.getActiveCount() + executor.getQueue().size();
        job.progress(0, ahead == 0 ? "queued" : "queued behind " + ahead + " job(s)");
        try {
            tasks.put(job.id(), executor.submit(() -> {
                try {
                    work.run();
                } finally {
                    tasks.remove(job.id());
                }
            }));
        } catch (RejectedExecutionException e) {
            throw new QueueFullException(maxQueued);
        }
    }

    /** Takes the job out of the queue if it has not started; whether it was (then it will never run). */
    boolean dequeue(QuantizationJob job) {
        Future<?> task = tasks.get(job.id());
        if (task instanceof Runnable queued && executor.remove(queued)) {
            tasks.remove(job.id());
            return true;
        }
        return false;
    }

    /** The job {@code id} this process runs or ran, if it is remembered. */
    Optional<QuantizationJob> job(String id) {
        synchronized (jobs) {
            return Optional.ofNullable(jobs.get(id));
        }
    }

    /** The remembered job {@code id}. */
    Optional<JobView> find(String id) {
        synchronized (jobs) {
            return Optional.ofNullable(jobs.get(id)).map(QuantizationJob::view);
        }
    }

    /** Jobs remembered, running or finished. */
    int size() {
        synchronized (jobs) {
            return jobs.size();
        }
    }

    private void remember(QuantizationJob job) {
        jobs.remove(job.id());
        jobs.put(job.id(), job);
        int excess = jobs.size() - retained;
        if (excess > 0) {
            jobs.values().stream().filter(QuantizationJob::finished)
                    .sorted(Comparator.comparingLong(QuantizationJob::finishedAt))
                    .limit(excess).map(QuantizationJob::id).toList().forEach(jobs::remove);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
