package dev.qwm.analysis.data;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A study held in memory. */
public record StudySnapshot(StudyInfo study, List<EpisodeRecord> episodes, Map<Integer, EpisodeTrace> traces,
                            List<ArtifactRecord> artifacts) implements StudyData {

    public StudySnapshot {
        if (study == null) {
            throw new IllegalArgumentException("a study snapshot needs the study's summary");
        }
        episodes = List.copyOf(episodes);
        traces = traces == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(traces));
        artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
    }

    /** A copy of any study data (e.g. to fetch a remote study once and analyse it several times). */
    public static StudySnapshot of(StudyData data) {
        return new StudySnapshot(data.study(), data.episodes(), data.traces(), data.artifacts());
    }
}
