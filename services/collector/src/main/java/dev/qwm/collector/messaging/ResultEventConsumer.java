package dev.qwm.collector.messaging;

import dev.qwm.api.events.v1.ArtifactCreated;
import dev.qwm.api.events.v1.EpisodeCompleted;
import dev.qwm.api.events.v1.EpisodeProgress;
import dev.qwm.api.events.v1.EpisodeRequested;
import dev.qwm.api.events.v1.StudySubmitted;
import dev.qwm.collector.repository.ArtifactRepository;
import dev.qwm.collector.repository.EpisodeRepository;
import dev.qwm.collector.repository.StudyRepository;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * The collector's Kafka consumers, one per result topic. Each record is handled on a worker thread (JDBC blocks), in
 * partition order, and acknowledged only once stored; see {@link EventIngestion}.
 */
@ApplicationScoped
public class ResultEventConsumer {

    private static final Logger LOG = Logger.getLogger(ResultEventConsumer.class);
    static final String DEAD_LETTER_REASON = "dead-letter-reason";
    static final String DEAD_LETTER_CAUSE = "dead-letter-cause";

    private final EventIngestion ingestion;
    private final StudyRepository studies;
    private final EpisodeRepository episodes;
    private final ArtifactRepository artifacts;

    public ResultEventConsumer(EventIngestion ingestion, StudyRepository studies, EpisodeRepository episodes,
                               ArtifactRepository artifacts) {
        this.ingestion = ingestion;
        this.studies = studies;
        this.episodes = episodes;
        this.artifacts = artifacts;
    }

    @Incoming(Channels.STUDY_SUBMITTED)
    @Blocking
    public CompletionStage<Void> studySubmitted(Message<byte[]> record) {
        return ingestion.ingest(record, Channels.STUDY_SUBMITTED_SCHEMA, (StudySubmitted e) -> studies.insert(e));
    }

    @Incoming(Channels.EPISODE_REQUESTED)
    @Blocking
    public CompletionStage<Void> episodeRequested(Message<byte[]> record) {
        return ingestion.ingest(record, Channels.EPISODE_REQUESTED_SCHEMA, (EpisodeRequested e) -> episodes.recordRequest(e));
    }

    @Incoming(Channels.EPISODE_PROGRESS)
    @Blocking
    public CompletionStage<Void> episodeProgress(Message<byte[]> record) {
        return ingestion.ingest(record, Channels.EPISODE_PROGRESS_SCHEMA, (EpisodeProgress e) -> episodes.recordProgress(e));
    }

    @Incoming(Channels.EPISODE_COMPLETED)
    @Blocking
    public CompletionStage<Void> episodeCompleted(Message<byte[]> record) {
        return ingestion.ingest(record, Channels.EPISODE_COMPLETED_SCHEMA, (EpisodeCompleted e) -> {
            if (!episodes.recordCompletion(e)) {
                LOG.infof("episode %s/%d was completed before; the completion of attempt %s is not its result",
                        e.getEpisodeId().getStudyId().getValue(), e.getEpisodeId().getIndex(), e.getAttemptId());
            }
        });
    }

    /**
     * An episode request the planner dead-lettered: stored with the reason the dead-letter queue put in its headers,
     * so the study counts it as failed instead of waiting for it.
     */
    @Incoming(Channels.EPISODE_DEAD_LETTERED)
    @Blocking
    public CompletionStage<Void> episodeDeadLettered(Message<byte[]> record) {
        String reason = deadLetterReason(record);
        return ingestion.ingest(record, Channels.EPISODE_DEAD_LETTERED_SCHEMA, (EpisodeRequested e) -> {
            episodes.recordDeadLetter(e, reason);
            LOG.infof("episode %s/%d will not be planned: %s", e.getEpisodeId().getStudyId().getValue(),
                    e.getEpisodeId().getIndex(), reason);
        });
    }

    /** The reason (and its cause, when it adds to it) that SmallRye's dead-letter queue records in the headers. */
    static String deadLetterReason(Message<byte[]> record) {
        var headers = record.getMetadata(IncomingKafkaRecordMetadata.class).map(IncomingKafkaRecordMetadata::getHeaders);
        String reason = headers.map(h -> text(h.lastHeader(DEAD_LETTER_REASON))).orElse(null);
        String cause = headers.map(h -> text(h.lastHeader(DEAD_LETTER_CAUSE))).orElse(null);
        if (reason == null || reason.isBlank()) {
            reason = "dead-lettered by the planner (no reason recorded)";
        }
        return cause == null || cause.isBlank() || reason.contains(cause) ? reason : reason + " (cause: " + cause + ")";
    }

    private static String text(Header h) {
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Incoming(Channels.ARTIFACT_CREATED)
    @Blocking
    public CompletionStage<Void> artifactCreated(Message<byte[]> record) {
        return ingestion.ingest(record, Channels.ARTIFACT_CREATED_SCHEMA, (ArtifactCreated e) -> artifacts.insert(e));
    }
}
