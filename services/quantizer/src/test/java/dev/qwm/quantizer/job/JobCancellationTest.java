package dev.qwm.quantizer.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** A queued job taken out of the queue never runs; a running one stops at its next progress step. */
class JobCancellationTest {

    @Test
    void aQueuedJobIsTakenOutAndNeverRuns() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean queuedRan = new AtomicBoolean();
        try (JobQueue queue = new JobQueue(1, 4, 10, new SimpleMeterRegistry())) {
            QuantizationJob running = new QuantizationJob("a", "", "", "");
            queue.enqueue(running, () -> {
                started.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(started.await(60, TimeUnit.SECONDS));
            QuantizationJob queued = new QuantizationJob("b", "", "", "");
            queue.enqueue(queued, () -> queuedRan.set(true));
            QuantizationJob after = new QuantizationJob("c", "", "", "");
            CountDownLatch afterRan = new CountDownLatch(1);
            queue.enqueue(after, afterRan::countDown);

            assertTrue(queued.requestCancel());
            assertTrue(queue.dequeue(queued), "still queued: taken out");
            assertFalse(queue.dequeue(running), "running: not in the queue");
            release.countDown();
            assertTrue(afterRan.await(60, TimeUnit.SECONDS), "the job behind it runs");
            assertFalse(queuedRan.get(), "the cancelled job never ran");
        }
    }

    @Test
    void aRunningJobStopsAtItsNextProgressStepAndAFinishedOneDoesNotChange() {
        QuantizationJob job = new QuantizationJob("k", "src", "r", "queued");
        JobProgress progress = new JobProgress(job, 0, 0, 1);
        progress.start("predictor: layers", 4);
        progress.step("layer 1");
        assertTrue(job.requestCancel());
        assertThrows(JobCancelledException.class, () -> progress.step("layer 2"));
        job.cancelled("cancelled");
        assertEquals(JobState.CANCELLED, job.state());
        assertFalse(job.requestCancel(), "finished: nothing to cancel");

        QuantizationJob done = new QuantizationJob("d", "src", "r", "queued");
        done.failed("boom");
        assertFalse(done.requestCancel());
        done.cancelled("too late");
        assertEquals(JobState.FAILED, done.state());
        assertEquals("boom", done.view().message());
    }
}
