package dev.qwm.planner.messaging;

import com.google.protobuf.MessageLite;
import dev.qwm.servicesupport.TraceHeaders;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.transactions.KafkaTransactions;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Publishes protobuf events with their record key and the {@code qwm-event-id} header that consumers deduplicate
 * on. Progress is sent without waiting for each event (an episode does not pause on the broker every CEM step), and
 * its acknowledgements are awaited together before the completion ({@link PendingSends}); completions wait for the
 * broker's acknowledgement, and a study goes out with its episode requests in one transaction.
 */
@ApplicationScoped
public class EventPublisher {

    public static final String EVENT_ID_HEADER = "qwm-event-id";

    /** A record of a study's transaction: its topic (null: the channel's, episode requests), key and event. */
    public record Keyed(String topic, String key, String eventId, MessageLite event) {
    }

    private final MutinyEmitter<byte[]> progress;
    private final MutinyEmitter<byte[]> completed;
    private final KafkaTransactions<byte[]> studies;

    public EventPublisher(@Channel("episode-progress") MutinyEmitter<byte[]> progress,
                          @Channel("episode-completed") MutinyEmitter<byte[]> completed,
                          @Channel("study-dispatch") KafkaTransactions<byte[]> studies) {
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
     */
    public void study(java.util.List<Keyed> records, java.time.Duration timeout) {
        // made here, on the submission's thread: each record carries its trace context
        java.util.List<Message<byte[]>> messages = records.stream()
                .map(r -> message(r.topic(), r.key(), r.eventId(), r.event())).toList();
        studies.withTransaction(emitter -> {
            for (Message<byte[]> m : messages) {
                emitter.send(m);
            }
            return Uni.createFrom().voidItem();
        }).await().atMost(timeout);
    }

    private static Message<byte[]> message(String key, String eventId, MessageLite event) {
        return message(null, key, eventId, event);
    }

    private static Message<byte[]> message(String topic, String key, String eventId, MessageLite event) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(EVENT_ID_HEADER, eventId.getBytes(StandardCharsets.UTF_8));
        TraceHeaders.inject(io.opentelemetry.context.Context.current(), headers);
        var metadata = OutgoingKafkaRecordMetadata.<String>builder().withKey(key).withHeaders(headers);
        if (topic != null) {
            metadata.withTopic(topic);
        }
        return Message.of(event.toByteArray()).addMetadata(metadata.build());
    }
}
