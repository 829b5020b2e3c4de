package dev.qwm.predictor.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The batcher drops a rollout whose caller gave up before it ran: its deadline passed while it was queued, or its
 * future was cancelled. The first batch is held in the runner until the others are queued and their fate is set, so
 * nothing depends on timing; the deadlines run on a test clock.
 */
class RolloutBatcherDeadlineTest {

    /** A clock for {@link Deadline}s that moves only when told. */
    static final class TestTicker extends Deadline.Ticker {
        final AtomicLong nanos = new AtomicLong();

        @Override
        public long nanoTime() {
            return nanos.get();
        }
    }

    private static ActionBatch actions(int candidates) {
        return new ActionBatch(candidates, 1, 1, new float[candidates]);
    }

    @Test
    void aRolloutWhoseCallerGaveUpWhileItWasQueuedIsNotRun() throws Exception {
        CountDownLatch firstRunning = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> ran = new ArrayList<>(); // candidates of each batch run
        RolloutBatcher.BatchRunner runner = (starts, sizes, batch) -> {
            synchronized (ran) {
                ran.add(batch.batch());
            }
            if (firstRunning.getCount() > 0) {
                firstRunning.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return new float[batch.batch()];
        };
        TestTicker clock = new TestTicker();
        Latent start = new Latent(new float[1], new float[1]);
        // batching across calls is off (one candidate per batch at most), so each call is its own batch
        try (RolloutBatcher batcher = new RolloutBatcher("test", runner, (r, c, q, i) -> { }, 0, 1, () -> 4, 1)) {
            CompletableFuture<float[]> first = batcher.submit("a", start, actions(1), null);
            assertTrue(firstRunning.await(60, TimeUnit.SECONDS), "the first rollout started");

            CompletableFuture<float[]> expired = batcher.submit("b", start, actions(1),
                    Deadline.after(1, TimeUnit.SECONDS, clock));
            CompletableFuture<float[]> cancelled = batcher.submit("c", start, actions(1), null);
            CompletableFuture<float[]> live = batcher.submit("d", start, actions(1),
                    Deadline.after(1, TimeUnit.HOURS, clock));
            clock.nanos.addAndGet(TimeUnit.SECONDS.toNanos(2)); // b's caller gave up
            cancelled.cancel(false);                             // c's too
            release.countDown();

            assertEquals(1, first.get(60, TimeUnit.SECONDS).length);
            assertEquals(1, live.get(60, TimeUnit.SECONDS).length);
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> expired.get(60, TimeUnit.SECONDS));
            StatusRuntimeException status = assertInstanceOf(StatusRuntimeException.class, e.getCause());
            assertEquals(Status.Code.DEADLINE_EXCEEDED, status.getStatus().getCode());
            assertTrue(status.getStatus().getDescription().contains("was not run"), status.getStatus().getDescription());
        }
        synchronized (ran) {
            assertEquals(List.of(1, 1), ran, "only the first and the live rollout ran");
        }
    }
}
