package dev.qwm.quantizer.job;

/** Thrown on a job's thread at its next progress step once its cancellation was requested. */
final class JobCancelledException extends RuntimeException {
    JobCancelledException(String id) {
        super("job " + id + " was cancelled", null, false, false);
    }
}
