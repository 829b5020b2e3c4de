package dev.qwm.quantizer.messaging;

import dev.qwm.api.events.v1.ArtifactCreated;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Publishes {@link ArtifactCreated} on {@code qwm.quantizer.artifact-created.v1}, keyed by the artifact's sha256, with
 * the event id also in the {@code qwm-event-id} header that the collector deduplicates on. Each send waits for the
 * broker's acknowledgement, so a job reports success only once its artifacts are known downstream.
 */
@ApplicationScoped
public class ArtifactEventPublisher {

    public static final String EVENT_ID_HEADER = "qwm-event-id";
    public static final String TOPIC = "qwm.quantizer.artifact-created.v1";

    private final MutinyEmitter<byte[]> artifactCreated;

    public ArtifactEventPublisher(@Channel("artifact-created") MutinyEmitter<byte[]> artifactCreated) {
        this.artifactCreated = artifactCreated;
    }

    public void publish(ArtifactCreated event) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(EVENT_ID_HEADER, event.getEventId().getBytes(StandardCharsets.UTF_8));
        artifactCreated.sendMessageAndAwait(Message.of(event.toByteArray()).addMetadata(
                OutgoingKafkaRecordMetadata.<String>builder().withKey(event.getArtifact().getSha256())
                        .withHeaders(headers).build()));
    }
}
