package dev.qwm.predictor.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The predictor service's knobs ({@code predictor.*} in application.properties). */
@ConfigMapping(prefix = "predictor")
public interface PredictorConfig {

    /** Bundle folders whose predictor (with its proprio and action encoders) is loaded and warmed at startup. */
    Optional<List<String>> preload();

    /** Predictor artifacts kept loaded at once; the least recently used is closed beyond this. */
    @WithDefault("4")
    int maxLoaded();

    /**
     * ONNX Runtime intra-op threads per session; 0 (the default): one per processor available to the JVM
     * ({@link Runtime#availableProcessors()}, which follows a container's CPU limit). The outputs are the same bits at
     * any count; on the 2-core EPYC the fleet planned 1.08-1.21 times the episodes per minute at 2 (docs/bench/avx2.md).
     */
    @WithDefault("0")
    int intraOpThreads();

    /** ONNX Runtime execution provider: cpu, or cuda (needs the -gpu image, which carries onnxruntime_gpu). */
    @WithDefault("cpu")
    String executionProvider();

    /** Idle time after which a session is dropped, when OpenSession asks for no ttl of its own. */
    @WithDefault("10m")
    Duration sessionTtl();

    /** The longest idle time a session may ask for. */
    @WithDefault("1h")
    Duration maxSessionTtl();

    /** Sessions open at once; OpenSession beyond this fails with RESOURCE_EXHAUSTED. */
    @WithDefault("64")
    int maxSessions();

    /** Candidates one Rollout call may carry (also the most frames one Embed call may carry). */
    @WithDefault("1024")
    int maxCandidates();

    /** The longest horizon (macro actions per candidate) a Rollout call may carry. */
    @WithDefault("16")
    int maxHorizon();

    /**
     * Candidates x horizon of one Rollout call: what its predictor time grows with. Each limit alone allows
     * 1024 x 256 (44 s of one core); CEM needs 300 x 5, the divergence replay 1 x 250.
     */
    @WithDefault("16384")
    int maxCandidateSteps();

    /** Rollout calls one session may have queued or running; beyond, RESOURCE_EXHAUSTED (a planner sends one at a time). */
    @WithDefault("2")
    int maxRolloutsPerSession();

    /**
     * Candidate steps (candidates x horizon) of all Rollout calls queued or running; a call beyond is refused with
     * RESOURCE_EXHAUSTED rather than queued behind work its deadline would not outlast.
     */
    @WithDefault("131072")
    long maxQueuedCandidateSteps();

    /**
     * How long a Rollout call may wait in the queue for calls of other sessions to merge with (same predictor
     * artifact and horizon). It waits only while other sessions on the artifact are open and not yet in the batch.
     */
    @WithDefault("2ms")
    Duration batchWindow();

    /** Candidates of one merged predictor batch; calls are merged only up to this many. */
    @WithDefault("1200")
    int maxBatchCandidates();

    /** Deadline of each Encode call to the encoder service. */
    @WithDefault("30s")
    Duration encoderDeadline();

    /** Deadline of the readiness probe of the encoder service. */
    @WithDefault("2s")
    Duration encoderProbeTimeout();
}
