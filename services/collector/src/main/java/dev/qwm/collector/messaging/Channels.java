package dev.qwm.collector.messaging;

import dev.qwm.api.events.v1.ArtifactCreated;
import dev.qwm.api.events.v1.EpisodeCompleted;
import dev.qwm.api.events.v1.EpisodeProgress;
import dev.qwm.api.events.v1.EpisodeRequested;
import dev.qwm.api.events.v1.StudySubmitted;
import java.util.List;

/**
 * The collector's incoming channels (topics in application.properties) and how each reads its events. A channel name
 * is also the consumer name in processed_events: each channel deduplicates its own events.
 */
public final class Channels {

    public static final String STUDY_SUBMITTED = "study-submitted";
    public static final String EPISODE_REQUESTED = "episode-requested";
    public static final String EPISODE_PROGRESS = "episode-progress";
    public static final String EPISODE_COMPLETED = "episode-completed";
    public static final String ARTIFACT_CREATED = "artifact-created";
    /** The planner's dead-letter topic of episode requests: episodes that will not be planned, with the reason. */
    public static final String EPISODE_DEAD_LETTERED = "episode-dead-lettered";

    public static final List<String> ALL = List.of(STUDY_SUBMITTED, EPISODE_REQUESTED, EPISODE_PROGRESS,
            EPISODE_COMPLETED, ARTIFACT_CREATED, EPISODE_DEAD_LETTERED);

    static final EventSchema<StudySubmitted> STUDY_SUBMITTED_SCHEMA = new EventSchema<>("StudySubmitted",
            STUDY_SUBMITTED, StudySubmitted.parser(), StudySubmitted::getEventId, EventValidation::studySubmitted);
    static final EventSchema<EpisodeRequested> EPISODE_REQUESTED_SCHEMA = new EventSchema<>("EpisodeRequested",
            EPISODE_REQUESTED, EpisodeRequested.parser(), EpisodeRequested::getEventId, EventValidation::episodeRequested);
    static final EventSchema<EpisodeRequested> EPISODE_DEAD_LETTERED_SCHEMA = new EventSchema<>("EpisodeRequested",
            EPISODE_DEAD_LETTERED, EpisodeRequested.parser(), EpisodeRequested::getEventId, EventValidation::episodeRequested);
    static final EventSchema<EpisodeProgress> EPISODE_PROGRESS_SCHEMA = new EventSchema<>("EpisodeProgress",
            EPISODE_PROGRESS, EpisodeProgress.parser(), EpisodeProgress::getEventId, EventValidation::episodeProgress);
    static final EventSchema<EpisodeCompleted> EPISODE_COMPLETED_SCHEMA = new EventSchema<>("EpisodeCompleted",
            EPISODE_COMPLETED, EpisodeCompleted.parser(), EpisodeCompleted::getEventId, EventValidation::episodeCompleted);
    static final EventSchema<ArtifactCreated> ARTIFACT_CREATED_SCHEMA = new EventSchema<>("ArtifactCreated",
            ARTIFACT_CREATED, ArtifactCreated.parser(), ArtifactCreated::getEventId, EventValidation::artifactCreated);

    private Channels() {
    }
}
