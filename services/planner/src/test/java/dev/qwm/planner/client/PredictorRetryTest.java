package dev.qwm.planner.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PredictorRetryTest {

    private final List<Duration> waits = new ArrayList<>();
    private final PredictorRetry retry = new PredictorRetry(5, Duration.ofMillis(100), Duration.ofMillis(300),
            waits::add);

    @Test
    void resourceExhaustedIsRetriedWithGrowingBoundedBackoffUntilItPasses() {
        AtomicInteger calls = new AtomicInteger();
        String answer = retry.call(() -> {
            if (calls.incrementAndGet() < 4) {
                throw Status.RESOURCE_EXHAUSTED.withDescription("the limit is 1").asRuntimeException();
            }
            return "rolled out";
        });
        assertEquals("rolled out", answer);
        assertEquals(4, calls.get());
        assertEquals(List.of(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(300)), waits);
    }

    @Test
    void theLastFailureReachesTheCallerAfterTheBoundedAttempts() {
        AtomicInteger calls = new AtomicInteger();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> retry.call(() -> {
            calls.incrementAndGet();
            throw Status.UNAVAILABLE.withDescription("restarting").asRuntimeException();
        }));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertEquals(5, calls.get());
        assertEquals(4, waits.size());
    }

    @Test
    void otherFailuresAreNotRetried() {
        AtomicInteger calls = new AtomicInteger();
        StatusRuntimeException invalid = Status.INVALID_ARGUMENT.withDescription("bad actions").asRuntimeException();
        assertSame(invalid, assertThrows(StatusRuntimeException.class, () -> retry.call(() -> {
            calls.incrementAndGet();
            throw invalid;
        })));
        assertEquals(1, calls.get());
        assertEquals(List.of(), waits);
        // NOT_FOUND alone (an unknown artifact) is the caller's error; only a lost session is opened again
        assertThrows(StatusRuntimeException.class, () -> retry.call(() -> {
            throw Status.NOT_FOUND.asRuntimeException();
        }));
        assertEquals(List.of(), waits);
    }

    @Test
    void aLostSessionIsRetriedAndIfItStaysLostItsStatusIsWhatTheCallerSees() {
        StatusRuntimeException notFound = Status.NOT_FOUND.withDescription("no session s-1").asRuntimeException();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> retry.call(() -> {
            throw new PredictorRetry.SessionLost(notFound);
        }));
        assertSame(notFound, e);
        assertEquals(4, waits.size());
    }
}
