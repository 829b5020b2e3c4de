package dev.qwm.planner.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;

/** The planner's knobs ({@code planner.*}). */
@ConfigMapping(prefix = "planner")
public interface PlannerConfig {

    /** This worker's name in result rows. */
    String workerId();

    /** Dataset folders per environment, for environments whose goals come from data (PushT). */
    Map<String, String> datasets();

    /**
     * Deadline of one call to the predictor service; a Rollout gets this plus the time its work takes at
     * {@link #rolloutMinGflops()} (see {@code RolloutDeadline}).
     */
    @WithDefault("60s")
    Duration rolloutDeadline();

    /**
     * The slowest pace, in GFLOP/s per Rollout call with its queueing, at which a healthy but loaded predictor is
     * still waited for. The shipped models' calls of 300 candidates get a few seconds more than
     * {@link #rolloutDeadline()}; a DINO-WM-size call minutes more.
     */
    @WithDefault("2")
    double rolloutMinGflops();

    /**
     * Calls to the predictor in all (the first included) when it answers RESOURCE_EXHAUSTED (its admission limits),
     * UNAVAILABLE (restarting) or has lost a rollout session (restarted): then the episode goes on, after a backoff
     * that starts at {@link #predictorRetryBackoff()} and doubles up to {@link #predictorRetryMaxBackoff()}. With the
     * defaults, about 25 s of waiting before the episode fails with the predictor's answer.
     */
    @WithDefault("8")
    int predictorRetries();

    @WithDefault("250ms")
    Duration predictorRetryBackoff();

    @WithDefault("8s")
    Duration predictorRetryMaxBackoff();

    /** The topic studies are announced on (published with their requests; read to know which study ids exist). */
    @WithDefault("qwm.studies.study-submitted.v1")
    String studyTopic();

    /** The topic of episode requests (published with their study; the fleet's workers consume it). */
    @WithDefault("qwm.planner.episode-requested.v1")
    String requestTopic();

    /**
     * How long each step of publishing a study (starting the producer, sending, committing) and of reading the study
     * topic may wait for the broker: then the submission is answered 503. Below the CLI's 60 s per request.
     */
    @WithDefault("25s")
    Duration studyPublishTimeout();

    /** How long an episode's progress events may take to be acknowledged once it is planned (then it is redone). */
    @WithDefault("60s")
    Duration progressAckTimeout();
}
