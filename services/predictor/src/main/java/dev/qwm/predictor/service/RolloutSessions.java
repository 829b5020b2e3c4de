package dev.qwm.predictor.service;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Objective;
import dev.qwm.predictor.config.PredictorConfig;
import dev.qwm.predictor.inference.SessionCounts;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * The open rollout sessions: at most {@link PredictorConfig#maxSessions()}, each dropped once idle longer than its
 * ttl (checked on every use and swept every second, so an abandoned session frees its slot).
 */
@ApplicationScoped
public class RolloutSessions implements SessionCounts {

    private static final Logger LOG = Logger.getLogger(RolloutSessions.class);

    private final int maxSessions;
    private final LongSupplier clock;
    private final Map<String, RolloutSession> sessions = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper;

    @Inject
    public RolloutSessions(PredictorConfig config, MeterRegistry registry) {
        this(config.maxSessions(), System::nanoTime, registry, true);
    }

    /**
     * @param clock nanoseconds, monotonic ({@code System::nanoTime} outside tests)
     * @param sweep whether a background thread drops expired sessions every second
     */
    public RolloutSessions(int maxSessions, LongSupplier clock, MeterRegistry registry, boolean sweep) {
        if (maxSessions < 1) {
            throw new IllegalArgumentException("predictor.max-sessions must be >= 1, got " + maxSessions);
        }
        this.maxSessions = maxSessions;
        this.clock = clock;
        registry.gaugeMapSize("qwm.predictor.sessions.active", java.util.List.of(), sessions);
        if (sweep) {
            sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "predictor-session-sweeper");
                t.setDaemon(true);
                return t;
            });
            sweeper.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
        } else {
            sweeper = null;
        }
    }

    /** Fails with RESOURCE_EXHAUSTED if no session could be opened now (checked before the expensive work). */
    public void requireCapacity() {
        if (sessions.size() >= maxSessions) {
            sweep();
            if (sessions.size() >= maxSessions) {
                throw exhausted();
            }
        }
    }

    /** Opens a session; RESOURCE_EXHAUSTED when {@code maxSessions} are open. */
    public synchronized RolloutSession open(ArtifactRef encoder, ArtifactRef predictor, int actionDim, Latent start,
                                            Latent goal, Objective objective, Duration ttl) {
        requireCapacity();
        String id = UUID.randomUUID().toString();
        RolloutSession session = new RolloutSession(id, encoder, predictor, actionDim, start, goal, objective,
                ttl.toNanos(), new RolloutSession.LastUse(clock.getAsLong()));
        sessions.put(id, session);
        return session;
    }

    /** The session {@code id}, marked as used now; NOT_FOUND if it is unknown, closed or expired. */
    public RolloutSession use(String id) {
        RolloutSession session = sessions.get(id);
        long now = clock.getAsLong();
        if (session != null && session.expired(now)) {
            sessions.remove(id, session);
            session = null;
        }
        if (session == null) {
            throw Status.NOT_FOUND.withDescription("session '" + id + "' is unknown, closed or expired (idle longer"
                    + " than its ttl); open a new one").asRuntimeException();
        }
        session.lastUse().touch(now);
        return session;
    }

    /** Closes the session {@code id}; whether it was open. */
    public boolean close(String id) {
        return sessions.remove(id) != null;
    }

    @Override
    public int openOn(String predictorSha256) {
        int n = 0;
        for (RolloutSession s : sessions.values()) {
            if (s.predictor().getSha256().equals(predictorSha256)) {
                n++;
            }
        }
        return n;
    }

    public int size() {
        return sessions.size();
    }

    /** Drops the expired sessions. */
    public void sweep() {
        long now = clock.getAsLong();
        sessions.values().removeIf(s -> {
            if (s.expired(now)) {
                LOG.debugf("session %s expired", s.id());
                return true;
            }
            return false;
        });
    }

    private StatusRuntimeException exhausted() {
        return Status.RESOURCE_EXHAUSTED.withDescription(sessions.size() + " sessions are open, the limit"
                + " (predictor.max-sessions) is " + maxSessions + "; close finished sessions or raise the limit")
                .asRuntimeException();
    }

    @PreDestroy
    void stop() {
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
    }
}
