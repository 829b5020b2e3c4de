package dev.qwm.collector;

import dev.qwm.api.common.v1.EpisodeId;
import dev.qwm.api.events.v1.ArtifactCreated;
import dev.qwm.api.events.v1.EpisodeCompleted;
import dev.qwm.api.events.v1.EpisodeProgress;
import dev.qwm.api.events.v1.EpisodeRequested;
import dev.qwm.api.events.v1.StudySubmitted;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Publishes events as the producers of qwm do: protobuf bytes, keyed as the contracts say, event id in a header. */
final class EventPublisher implements AutoCloseable {

    static final String STUDY_SUBMITTED = "qwm.studies.study-submitted.v1";
    static final String EPISODE_REQUESTED = "qwm.planner.episode-requested.v1";
    static final String EPISODE_PROGRESS = "qwm.planner.episode-progress.v1";
    static final String EPISODE_COMPLETED = "qwm.planner.episode-completed.v1";
    static final String ARTIFACT_CREATED = "qwm.quantizer.artifact-created.v1";
    static final String EVENT_ID_HEADER = "qwm-event-id";

    private final KafkaProducer<String, byte[]> producer;
    private final List<Future<RecordMetadata>> pending = new ArrayList<>();

    EventPublisher(String bootstrapServers) {
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5),
                new StringSerializer(), new ByteArraySerializer());
    }

    void studySubmitted(StudySubmitted e) {
        send(STUDY_SUBMITTED, e.getStudyId().getValue(), e.getEventId(), e.toByteArray());
    }

    void episodeRequested(EpisodeRequested e) {
        send(EPISODE_REQUESTED, e.getEpisodeId().getStudyId().getValue(), e.getEventId(), e.toByteArray());
    }

    void episodeProgress(EpisodeProgress e) {
        send(EPISODE_PROGRESS, key(e.getEpisodeId()), e.getEventId(), e.toByteArray());
    }

    void episodeCompleted(EpisodeCompleted e) {
        send(EPISODE_COMPLETED, key(e.getEpisodeId()), e.getEventId(), e.toByteArray());
    }

    /** A request as the planner's dead-letter queue writes it: the request itself, the reason in a header. */
    void episodeDeadLettered(EpisodeRequested e, String reason) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(EPISODE_REQUESTED + ".dlq",
                key(e.getEpisodeId()), e.toByteArray());
        record.headers().add(EVENT_ID_HEADER, e.getEventId().getBytes(StandardCharsets.UTF_8));
        record.headers().add("dead-letter-reason", reason.getBytes(StandardCharsets.UTF_8));
        record.headers().add("dead-letter-topic", EPISODE_REQUESTED.getBytes(StandardCharsets.UTF_8));
        pending.add(producer.send(record));
    }

    void artifactCreated(ArtifactCreated e) {
        send(ARTIFACT_CREATED, e.getArtifact().getSha256(), e.getEventId(), e.toByteArray());
    }

    /** Sends raw bytes (a malformed event); the header is omitted when {@code eventId} is null. */
    void send(String topic, String key, String eventId, byte[] value) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, key, value);
        if (eventId != null) {
            record.headers().add(EVENT_ID_HEADER, eventId.getBytes(StandardCharsets.UTF_8));
        }
        pending.add(producer.send(record));
    }

    /** Waits until every record sent so far is acknowledged by the broker; fails if one was not. */
    void flush() {
        producer.flush();
        try {
            for (Future<RecordMetadata> sent : pending) {
                sent.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the broker did not take a record: " + e.getCause().getMessage(), e.getCause());
        } finally {
            pending.clear();
        }
    }

    /** Sends and waits for the broker's acknowledgement, so later sends to other topics come after it. */
    void sendAndWait(String topic, String key, String eventId, byte[] value) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, key, value);
        if (eventId != null) {
            record.headers().add(EVENT_ID_HEADER, eventId.getBytes(StandardCharsets.UTF_8));
        }
        flush();
        try {
            producer.send(record).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot publish to " + topic, e.getCause());
        }
    }

    static String key(EpisodeId id) {
        return id.getStudyId().getValue() + "/" + id.getIndex();
    }

    @Override
    public void close() {
        producer.close();
    }
}
