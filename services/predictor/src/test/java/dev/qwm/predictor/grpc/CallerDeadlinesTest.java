package dev.qwm.predictor.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CallerDeadlinesTest {

    @Test
    void grpcTimeoutValuesAreReadInEveryUnit() {
        assertEquals(TimeUnit.SECONDS.toNanos(59), CallerDeadlines.timeoutNanos("59S"));
        assertEquals(TimeUnit.MILLISECONDS.toNanos(59999), CallerDeadlines.timeoutNanos("59999m"));
        assertEquals(TimeUnit.HOURS.toNanos(2), CallerDeadlines.timeoutNanos("2H"));
        assertEquals(TimeUnit.MINUTES.toNanos(3), CallerDeadlines.timeoutNanos("3M"));
        assertEquals(7000, CallerDeadlines.timeoutNanos("7u"));
        assertEquals(99999999, CallerDeadlines.timeoutNanos("99999999n"));
    }

    @Test
    void anythingElseIsNoDeadline() {
        assertEquals(-1, CallerDeadlines.timeoutNanos(null));
        assertEquals(-1, CallerDeadlines.timeoutNanos("S"));
        assertEquals(-1, CallerDeadlines.timeoutNanos("12x"));
        assertEquals(-1, CallerDeadlines.timeoutNanos("123456789S")); // more than 8 digits
        assertEquals(-1, CallerDeadlines.timeoutNanos("-5S"));
        assertEquals(-1, CallerDeadlines.timeoutNanos("1.5S"));
    }
}
