package dev.qwm.collector.messaging;

/**
 * An event that can never be stored: unparseable bytes, a missing id, an invalid value. Nacking a record with it
 * sends the record to the channel's dead-letter topic, where the message becomes the {@code dead-letter-reason}
 * header.
 */
public class MalformedEventException extends RuntimeException {

    public MalformedEventException(String reason) {
        super(reason);
    }

    public MalformedEventException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
