package dev.qwm.predictor;

import dev.qwm.predictor.config.PredictorConfig;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** A {@link PredictorConfig} for plain tests, starting from the service's defaults. */
public record TestConfig(Optional<List<String>> preload, int maxLoaded, int intraOpThreads, Duration sessionTtl,
                         Duration maxSessionTtl, int maxSessions, int maxCandidates, int maxHorizon,
                         int maxCandidateSteps,
                         Duration batchWindow, int maxBatchCandidates, Duration encoderDeadline,
                         Duration encoderProbeTimeout) implements PredictorConfig {

    @Override
    public int maxRolloutsPerSession() {
        return 2;
    }

    @Override
    public long maxQueuedCandidateSteps() {
        return 131072;
    }

    public static TestConfig defaults() {
        return new TestConfig(Optional.empty(), 4, 1, Duration.ofMinutes(10), Duration.ofHours(1), 64, 1024, 16, 16384,
                Duration.ofMillis(2), 1200, Duration.ofSeconds(30), Duration.ofSeconds(2));
    }

    public TestConfig withMaxLoaded(int n) {
        return new TestConfig(preload, n, intraOpThreads, sessionTtl, maxSessionTtl, maxSessions, maxCandidates,
                maxHorizon, maxCandidateSteps, batchWindow, maxBatchCandidates, encoderDeadline, encoderProbeTimeout);
    }

    public TestConfig withMaxSessions(int n) {
        return new TestConfig(preload, maxLoaded, intraOpThreads, sessionTtl, maxSessionTtl, n, maxCandidates,
                maxHorizon, maxCandidateSteps, batchWindow, maxBatchCandidates, encoderDeadline, encoderProbeTimeout);
    }

    public TestConfig withBatching(Duration window, int maxCandidates) {
        return new TestConfig(preload, maxLoaded, intraOpThreads, sessionTtl, maxSessionTtl, maxSessions,
                this.maxCandidates, maxHorizon, maxCandidateSteps, window, maxCandidates, encoderDeadline, encoderProbeTimeout);
    }

    public TestConfig withMaxCandidateSteps(int n) {
        return new TestConfig(preload, maxLoaded, intraOpThreads, sessionTtl, maxSessionTtl, maxSessions, maxCandidates,
                maxHorizon, n, batchWindow, maxBatchCandidates, encoderDeadline, encoderProbeTimeout);
    }

    public TestConfig withIntraOpThreads(int n) {
        return new TestConfig(preload, maxLoaded, n, sessionTtl, maxSessionTtl, maxSessions, maxCandidates,
                maxHorizon, maxCandidateSteps, batchWindow, maxBatchCandidates, encoderDeadline, encoderProbeTimeout);
    }

    public TestConfig withPreload(List<String> bundles) {
        return new TestConfig(Optional.of(bundles), maxLoaded, intraOpThreads, sessionTtl, maxSessionTtl,
                maxSessions, maxCandidates, maxHorizon, maxCandidateSteps, batchWindow, maxBatchCandidates, encoderDeadline,
                encoderProbeTimeout);
    }

    @Override
    public String executionProvider() {
        return "cpu";
    }
}
