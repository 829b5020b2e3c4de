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
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.CompletionStage;
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

    @Incoming(Channels.ARTIFACT_CREATED)
    @Blocking
    public CompletionStage<Void> artifactCreated(Message<byte[]> record) {
        return ingestion.ingest(record, Channels.ARTIFACT_CREATED_SCHEMA, (ArtifactCreated e) -> artifacts.insert(e));
    }
}
