package dev.qwm.quantizer.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class JobQueueTest {

    @Test
    void aRunningJobIsReturnedAsItIsAndAFinishedOneIsReplaced() {
        try (JobQueue queue = new JobQueue(1, 4, 10, new SimpleMeterRegistry())) {
            QuantizationJob first = new QuantizationJob("k", "src", "r", "queued");
            queue.admit("k", previous -> {
                assertTrue(previous.isEmpty());
                return first;
            });
            JobView again = queue.admit("k", previous -> {
                throw new AssertionError("a running job must not be started twice");
            });
            assertEquals(JobState.RUNNING, again.state());

            first.failed("boom");
            AtomicReference<Optional<QuantizationJob>> seen = new AtomicReference<>();
            JobView second = queue.admit("k", previous -> {
                seen.set(previous);
                return new QuantizationJob("k", "src", "r", "retrying");
            });
            assertSame(first, seen.get().orElseThrow(), "the finished job is handed to the new one");
            assertEquals("retrying", second.message());
            assertEquals(1, queue.size());
        }
    }

    @Test
    void jobsWaitBehindTheRunningOnesAndAFullQueueIsRefused() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (JobQueue queue = new JobQueue(1, 1, 10, new SimpleMeterRegistry())) {
            QuantizationJob running = new QuantizationJob("a", "", "", "");
            queue.enqueue(running, () -> {
                started.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(started.await(10, TimeUnit.SECONDS));
            assertEquals("queued", running.view().message());

            QuantizationJob waiting = new QuantizationJob("b", "", "", "");
            CountDownLatch ran = new CountDownLatch(1);
            queue.enqueue(waiting, ran::countDown);
            assertEquals("queued behind 1 job(s)", waiting.view().message());

            QueueFullException full = assertThrows(QueueFullException.class,
                    () -> queue.enqueue(new QuantizationJob("c", "", "", ""), () -> { }));
            assertTrue(full.getMessage().contains("1"), full.getMessage());

            release.countDown();
            assertTrue(ran.await(10, TimeUnit.SECONDS), "the waiting job runs once the slot is free");
        }
    }

    @Test
    void retentionForgetsTheOldestFinishedJobsAndNeverARunningOne() {
        try (JobQueue queue = new JobQueue(1, 4, 2, new SimpleMeterRegistry())) {
            QuantizationJob running = new QuantizationJob("running", "", "", "");
            queue.admit("running", p -> running);
            for (String id : List.of("old", "new")) {
                QuantizationJob j = new QuantizationJob(id, "", "", "");
                j.failed("done");
                queue.admit(id, p -> j);
            }
            assertEquals(2, queue.size());
            assertTrue(queue.find("running").isPresent());
            assertFalse(queue.find("old").isPresent(), "the oldest finished job goes first");
            assertTrue(queue.find("new").isPresent());
        }
    }

    @Test
    void impossibleSizesAreRefusedAtStartup() {
        assertThrows(IllegalArgumentException.class, () -> new JobQueue(0, 1, 1, new SimpleMeterRegistry()));
        assertThrows(IllegalArgumentException.class, () -> new JobQueue(1, 0, 1, new SimpleMeterRegistry()));
    }
}
