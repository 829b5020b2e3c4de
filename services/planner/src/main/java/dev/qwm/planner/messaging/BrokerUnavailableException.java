package dev.qwm.planner.messaging;

/**
 * The Kafka broker could not be written to or read from in time: the submission is answered 503 with this message
 * (a state of the stack, not of the study, and worth trying again), never 500.
 */
public class BrokerUnavailableException extends RuntimeException {
    public BrokerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
