package dev.qwm.analysis.data;

import java.util.List;
import java.util.Map;

/**
 * Everything the analysis reads about one study: its summary, the completed episodes, their traces, and the
 * artifacts the episodes name. {@link CollectorStudyData} reads it from the collector's HTTP API;
 * {@link StudySnapshot} holds it in memory (tests, archived studies).
 */
public interface StudyData {

    StudyInfo study();

    /** Completed episodes, by index. */
    List<EpisodeRecord> episodes();

    /** Traces of the completed episodes, by episode index; an episode without a stored trace is absent. */
    Map<Integer, EpisodeTrace> traces();

    /** Every artifact the collector knows (more than the study uses is fine). */
    List<ArtifactRecord> artifacts();
}
