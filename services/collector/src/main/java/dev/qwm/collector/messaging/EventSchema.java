package dev.qwm.collector.messaging;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * How one kind of event is read: its consumer name (the dedup scope in processed_events), its protobuf parser, where
 * its event id is, and the checks that make it storable.
 *
 * @param type      the protobuf message name, for error messages
 * @param consumer  name of the consuming channel, also the {@code consumer} column of processed_events
 * @param parser    protobuf parser of the payload
 * @param eventId   the payload's event id
 * @param validator throws {@link MalformedEventException} for an event that cannot be stored
 */
public record EventSchema<E extends Message>(String type, String consumer, Parser<E> parser, Function<E, String> eventId,
                                             Consumer<E> validator) {

    /** The header that repeats the payload's event id. */
    public static final String EVENT_ID_HEADER = "qwm-event-id";

    /**
     * Parses and validates a record value.
     *
     * @param headerEventId the {@value #EVENT_ID_HEADER} header, or null when the record has none
     * @throws MalformedEventException naming the problem
     */
    public E decode(byte[] value, String headerEventId) {
        if (value == null || value.length == 0) {
            throw new MalformedEventException(type + ": the record has no value");
        }
        E event;
        try {
            event = parser.parseFrom(value);
        } catch (InvalidProtocolBufferException e) {
            throw new MalformedEventException(type + ": the value is not a protobuf " + type + " (" + e.getMessage() + ")", e);
        }
        validator.accept(event);
        String id = eventId.apply(event);
        if (headerEventId != null && !headerEventId.equals(id)) {
            throw new MalformedEventException(type + " " + id + ": header " + EVENT_ID_HEADER + " says '" + headerEventId
                    + "' but the payload's event_id is '" + id + "'");
        }
        return event;
    }
}
