package dev.qwm.quantizer.job;

/** As {@code qwm.quantizer.v1.JobState}: a queued job is RUNNING with progress 0 and says so in its message. */
public enum JobState {
    RUNNING,
    SUCCEEDED,
    FAILED,
    /** Cancelled on request, queued or running; nothing of it was stored. */
    CANCELLED
}
