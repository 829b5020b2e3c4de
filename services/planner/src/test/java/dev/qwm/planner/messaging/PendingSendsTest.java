package dev.qwm.planner.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class PendingSendsTest {

    @Test
    void returnsOnceEverySendIsAcknowledged() {
        PendingSends p = new PendingSends("progress events of episode s/1");
        CompletableFuture<Void> late = new CompletableFuture<>();
        p.add(CompletableFuture.completedFuture(null));
        p.add(late);
        new Thread(() -> late.complete(null)).start();
        p.awaitAll(Duration.ofSeconds(30));
        assertEquals(2, p.size());
    }

    @Test
    void aLostOrUnansweredSendFailsTheAttemptNamingHowManyAndWhy() {
        PendingSends lost = new PendingSends("progress events of episode s/1");
        lost.add(CompletableFuture.completedFuture(null));
        lost.add(CompletableFuture.failedFuture(new org.apache.kafka.common.errors.TimeoutException("broker down")));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> lost.awaitAll(Duration.ofSeconds(5)));
        assertTrue(e.getMessage().startsWith("1 of 2 progress events of episode s/1 were not acknowledged"), e.getMessage());
        assertTrue(e.getMessage().contains("broker down"), e.getMessage());

        PendingSends unanswered = new PendingSends("progress events of episode s/2");
        unanswered.add(new CompletableFuture<>());
        e = assertThrows(IllegalStateException.class, () -> unanswered.awaitAll(Duration.ofMillis(50)));
        assertTrue(e.getMessage().startsWith("1 of 1 progress events of episode s/2 were not acknowledged"), e.getMessage());
    }
}
