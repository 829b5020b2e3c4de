package dev.qwm.planner.messaging;

import com.google.protobuf.MessageLite;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Publishes protobuf events with their record key and the {@code qwm-event-id} header that consumers deduplicate
 * on. Progress is sent without waiting for each event (an episode does not pause on the broker every CEM step), and
 * its acknowledgements are awaited together before the completion ({@link PendingSends}); completions, study
 * submissions and episode requests wait for the broker's acknowledgement.
 */
@ApplicationScoped
public class EventPublisher {

    public static final String EVENT_ID_HEADER = "qwm-event-id";

    private final MutinyEmitter<byte[]> progress;
    private final MutinyEmitter<byte[]> completed;
    private final MutinyEmitter<byte[]> requested;
    private final MutinyEmitter<byte[]> studies;

    public EventPublisher(@Channel("episode-progress") MutinyEmitter<byte[]> progress,
                          @Channel("episode-completed") MutinyEmitter<byte[]> completed,
                          @Channel("episode-requested") MutinyEmitter<byte[]> requested,
                          @Channel("study-submitted") MutinyEmitter<byte[]> studies) {
        this.progress = progress;
        this.completed = completed;
        this.requested = requested;
        this.studies = studies;
    }

    /** Sends a progress event; the returned stage completes when the broker acknowledged it. */
    public java.util.concurrent.CompletionStage<Void> progress(String key, String eventId, MessageLite event) {
        return progress.sendMessage(message(key, eventId, event)).subscribeAsCompletionStage();
    }

    public void completed(String key, String eventId, MessageLite event) {
        completed.sendMessageAndAwait(message(key, eventId, event));
    }

    public void episodeRequested(String key, String eventId, MessageLite event) {
        requested.sendMessageAndAwait(message(key, eventId, event));
    }

    public void studySubmitted(String key, String eventId, MessageLite event) {
        studies.sendMessageAndAwait(message(key, eventId, event));
    }

    private static Message<byte[]> message(String key, String eventId, MessageLite event) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(EVENT_ID_HEADER, eventId.getBytes(StandardCharsets.UTF_8));
        return Message.of(event.toByteArray()).addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(key).withHeaders(headers).build());
    }
}
