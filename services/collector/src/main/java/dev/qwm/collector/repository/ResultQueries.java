package dev.qwm.collector.repository;

import dev.qwm.api.collector.v1.GetEpisodeTraceResponse;
import dev.qwm.api.collector.v1.GetStudyResponse;
import dev.qwm.api.collector.v1.ListArtifactsResponse;
import dev.qwm.api.collector.v1.ListEpisodeResultsResponse;
import dev.qwm.api.collector.v1.ListStudiesResponse;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;

/** The read side shared by the gRPC and the HTTP API, so both always answer with the same messages. */
@ApplicationScoped
public class ResultQueries {

    private final StudyRepository studies;
    private final EpisodeRepository episodes;
    private final ArtifactRepository artifacts;

    public ResultQueries(StudyRepository studies, EpisodeRepository episodes, ArtifactRepository artifacts) {
        this.studies = studies;
        this.episodes = episodes;
        this.artifacts = artifacts;
    }

    public ListStudiesResponse listStudies() {
        return ListStudiesResponse.newBuilder().addAllStudies(studies.list()).build();
    }

    public Optional<GetStudyResponse> getStudy(String studyId) {
        return studies.find(studyId);
    }

    public ListEpisodeResultsResponse listEpisodeResults(String studyId) {
        return ListEpisodeResultsResponse.newBuilder().addAllEpisodes(episodes.completed(studyId)).build();
    }

    public Optional<GetEpisodeTraceResponse> getEpisodeTrace(String studyId, int index) {
        return episodes.trace(studyId, index);
    }

    public ListArtifactsResponse listArtifacts() {
        return ListArtifactsResponse.newBuilder().addAllArtifacts(artifacts.list()).build();
    }
}
