package dev.qwm.planner.messaging;

import com.google.protobuf.MessageLite;
import dev.qwm.servicesupport.TraceHeaders;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Publishes protobuf events with their record key and the {@code qwm-event-id} header that consumers deduplicate
 * on. Progress is sent without waiting for each event (an episode does not pause on the broker every CEM step), and
 * its acknowledgements are awaited together before the completion ({@link PendingSends}); completions wait for the
 * broker's acknowledgement, and a study goes out with its episode requests in one transaction
 * ({@link StudyTransactions}).
 */
@ApplicationScoped
public class EventPublisher {

    public static final String EVENT_ID_HEADER = "qwm-event-id";

    /** A record of a study's transaction: its topic, key and event. */
    public record Keyed(String topic, String key, String eventId, MessageLite event) {
    }

    private final MutinyEmitter<byte[]> progress;
    private final MutinyEmitter<byte[]> completed;
    private final StudyTransactions studies;

    public EventPublisher(@Channel("episode-progress") MutinyEmitter<byte[]> progress,
                          @Channel("episode-completed") MutinyEmitter<byte[]> completed,
                          StudyTransactions studies) {
        this.progress = progress;
        this.completed = completed;
        this.studies = studies;
    }

    /** Sends a progress event; the returned stage completes when the broker acknowledged it. */
    public java.util.concurrent.CompletionStage<Void> progress(String key, String eventId, MessageLite event) {
        return progress.sendMessage(message(key, eventId, event)).subscribeAsCompletionStage();
    }

    public void completed(String key, String eventId, MessageLite event) {
        completed.sendMessageAndAwait(message(key, eventId, event));
    }

    /**
     * A study and all its episode requests in one Kafka transaction: the collector and the planner fleet read
     * committed records only, so they see the whole study or, if the broker failed part-way, none of it (and the
     * submission fails, to be sent again).
     *
     * @throws BrokerUnavailableException when the broker did not take the transaction
     */
    public void study(List<Keyed> records) {
        // made here, on the submission's thread: each record carries its trace context
        studies.publish(records.stream().map(r -> {
            RecordHeaders headers = headers(r.eventId());
            return new ProducerRecord<>(r.topic(), null, r.key(), r.event().toByteArray(), headers);
        }).toList());
    }

    private static Message<byte[]> message(String key, String eventId, MessageLite event) {
        var metadata = OutgoingKafkaRecordMetadata.<String>builder().withKey(key).withHeaders(headers(eventId));
        return Message.of(event.toByteArray()).addMetadata(metadata.build());
    }

    /** The event id consumers deduplicate on, and the current trace context. */
    private static RecordHeaders headers(String eventId) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(EVENT_ID_HEADER, eventId.getBytes(StandardCharsets.UTF_8));
        TraceHeaders.inject(io.opentelemetry.context.Context.current(), headers);
        return headers;
    }
}
