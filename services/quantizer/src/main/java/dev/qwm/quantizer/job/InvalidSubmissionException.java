package dev.qwm.quantizer.job;

/** A submission that cannot be quantized (bad recipe, unreadable bundle, missing dataset); the message says why. */
public class InvalidSubmissionException extends RuntimeException {

    public InvalidSubmissionException(String message) {
        super(message);
    }

    public InvalidSubmissionException(String message, Throwable cause) {
        super(message, cause);
    }
}
