package dev.qwm.planner.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Bounded retries, with exponential backoff, of the predictor calls an episode cannot do without. Retried:
 * RESOURCE_EXHAUSTED (the predictor's admission limits: its capacity comes back as other calls finish), UNAVAILABLE
 * (it is restarting or briefly unreachable) and a {@link SessionLost} (the predictor no longer has the session: it
 * restarted, or dropped it idle; the caller opens it again). Anything else, and the last attempt's failure, reaches
 * the caller as it came, so that the episode fails with the predictor's own reason.
 */
public final class PredictorRetry {

    private static final Logger LOG = Logger.getLogger(PredictorRetry.class);

    /** Waits between attempts; tests pass one that records instead of sleeping. */
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    /** A session call answered NOT_FOUND: the session is gone, and opening it again makes the call possible. */
    public static final class SessionLost extends RuntimeException {
        public SessionLost(StatusRuntimeException cause) {
            super("the predictor no longer has the session (" + cause.getStatus().getCode() + ": "
                    + cause.getStatus().getDescription() + ")", cause);
        }
    }

    private final int attempts;
    private final Duration first;
    private final Duration max;
    private final Sleeper sleeper;

    /**
     * @param attempts calls in all, the first included (1: no retry)
     * @param first the wait before the first retry; each next one doubles, up to {@code max}
     */
    public PredictorRetry(int attempts, Duration first, Duration max, Sleeper sleeper) {
        if (attempts < 1 || first.isNegative() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("predictor retries need attempts >= 1 and 0 <= first backoff <= max"
                    + " backoff, got " + attempts + ", " + first + ", " + max);
        }
        this.attempts = attempts;
        this.first = first;
        this.max = max;
        this.sleeper = sleeper;
    }

    public static PredictorRetry sleeping(int attempts, Duration first, Duration max) {
        return new PredictorRetry(attempts, first, max, d -> Thread.sleep(d.toMillis()));
    }

    /** Runs {@code call}, again after a retryable failure, at most {@code attempts} times in all. */
    public <T> T call(Supplier<T> call) {
        Duration wait = first;
        for (int attempt = 1; ; attempt++) {
            RuntimeException last;
            try {
                return call.get();
            } catch (RuntimeException e) {
                if (attempt >= attempts || !retryable(e)) {
                    throw e instanceof SessionLost lost ? (StatusRuntimeException) lost.getCause() : e;
                }
                last = e;
            }
            LOG.warnf("predictor call failed (%s); attempt %d of %d in %d ms", last.getMessage(), attempt + 1, attempts,
                    wait.toMillis());
            try {
                sleeper.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw Status.CANCELLED.withDescription("interrupted while waiting to call the predictor again")
                        .asRuntimeException();
            }
            wait = wait.multipliedBy(2).compareTo(max) > 0 ? max : wait.multipliedBy(2);
        }
    }

    static boolean retryable(RuntimeException e) {
        if (e instanceof SessionLost) {
            return true;
        }
        if (e instanceof StatusRuntimeException s) {
            Status.Code code = s.getStatus().getCode();
            return code == Status.Code.RESOURCE_EXHAUSTED || code == Status.Code.UNAVAILABLE;
        }
        return false;
    }
}
