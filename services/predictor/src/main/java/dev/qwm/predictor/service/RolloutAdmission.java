package dev.qwm.predictor.service;

import io.grpc.Status;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Backpressure on Rollout calls, so that one planner cannot take the whole predictor: a session may have at most
 * {@code perSession} calls queued or running, and all calls together at most {@code maxCandidateSteps} candidate
 * steps (candidates x horizon, what predictor time grows with). A call beyond either limit is refused at once with
 * RESOURCE_EXHAUSTED naming the limit, instead of queueing behind work it would wait minutes for.
 */
final class RolloutAdmission {

    /** An admitted call; closing it gives its share back. */
    interface Ticket extends AutoCloseable {
        @Override
        void close();
    }

    private final int perSession;
    private final long maxCandidateSteps;
    /** session id -> its calls queued or running (absent: none) */
    private final ConcurrentHashMap<String, Integer> calls = new ConcurrentHashMap<>();
    private final AtomicLong steps = new AtomicLong();

    RolloutAdmission(int perSession, long maxCandidateSteps) {
        if (perSession < 1 || maxCandidateSteps < 1) {
            throw new IllegalArgumentException("predictor.max-rollouts-per-session and"
                    + " predictor.max-queued-candidate-steps must be >= 1, got " + perSession + " and " + maxCandidateSteps);
        }
        this.perSession = perSession;
        this.maxCandidateSteps = maxCandidateSteps;
    }

    /** Admits a call of {@code candidateSteps} on {@code session}, or fails with RESOURCE_EXHAUSTED naming the limit. */
    Ticket admit(String session, long candidateSteps) {
        calls.compute(session, (s, n) -> {
            int running = n == null ? 0 : n;
            if (running >= perSession) {
                throw Status.RESOURCE_EXHAUSTED.withDescription("session " + session + " has " + running + " Rollout"
                        + " calls queued or running; the limit (predictor.max-rollouts-per-session) is " + perSession
                        + ": wait for one to finish").asRuntimeException();
            }
            return running + 1;
        });
        long total = steps.addAndGet(candidateSteps);
        if (total > maxCandidateSteps) {
            steps.addAndGet(-candidateSteps);
            release(session);
            throw Status.RESOURCE_EXHAUSTED.withDescription("the predictor has " + (total - candidateSteps)
                    + " candidate steps queued or running and this call adds " + candidateSteps + "; the limit"
                    + " (predictor.max-queued-candidate-steps) is " + maxCandidateSteps + ": retry later")
                    .asRuntimeException();
        }
        return () -> {
            steps.addAndGet(-candidateSteps);
            release(session);
        };
    }

    /** Candidate steps of the calls queued or running now. */
    long candidateSteps() {
        return steps.get();
    }

    private void release(String session) {
        calls.computeIfPresent(session, (s, n) -> n == 1 ? null : n - 1);
    }
}
