package dev.qwm.collector.grpc;

import dev.qwm.api.collector.v1.CollectorService;
import dev.qwm.api.collector.v1.GetEpisodeTraceRequest;
import dev.qwm.api.collector.v1.GetEpisodeTraceResponse;
import dev.qwm.api.collector.v1.GetStudyRequest;
import dev.qwm.api.collector.v1.GetStudyResponse;
import dev.qwm.api.collector.v1.ListArtifactsRequest;
import dev.qwm.api.collector.v1.ListArtifactsResponse;
import dev.qwm.api.collector.v1.ListEpisodeResultsRequest;
import dev.qwm.api.collector.v1.ListEpisodeResultsResponse;
import dev.qwm.api.collector.v1.ListStudiesRequest;
import dev.qwm.api.collector.v1.ListStudiesResponse;
import dev.qwm.api.common.v1.StudyId;
import dev.qwm.collector.repository.ResultQueries;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/** {@code qwm.collector.v1.CollectorService}: study results as stored; JDBC runs on worker threads. */
@GrpcService
@Blocking
public class CollectorGrpcService implements CollectorService {

    private final ResultQueries queries;

    public CollectorGrpcService(ResultQueries queries) {
        this.queries = queries;
    }

    @Override
    public Uni<ListStudiesResponse> listStudies(ListStudiesRequest request) {
        return Uni.createFrom().item(queries::listStudies);
    }

    @Override
    public Uni<GetStudyResponse> getStudy(GetStudyRequest request) {
        return Uni.createFrom().item(() -> {
            String studyId = requireStudyId(request.getStudyId());
            return queries.getStudy(studyId).orElseThrow(() -> Status.NOT_FOUND
                    .withDescription("no study " + studyId).asRuntimeException());
        });
    }

    @Override
    public Uni<ListEpisodeResultsResponse> listEpisodeResults(ListEpisodeResultsRequest request) {
        return Uni.createFrom().item(() -> queries.listEpisodeResults(requireStudyId(request.getStudyId())));
    }

    @Override
    public Uni<GetEpisodeTraceResponse> getEpisodeTrace(GetEpisodeTraceRequest request) {
        return Uni.createFrom().item(() -> {
            String studyId = requireStudyId(request.getEpisodeId().getStudyId());
            int index = request.getEpisodeId().getIndex();
            if (index < 0) {
                throw Status.INVALID_ARGUMENT.withDescription("episode_id.index is negative (" + index + ")")
                        .asRuntimeException();
            }
            return queries.getEpisodeTrace(studyId, index).orElseThrow(() -> Status.NOT_FOUND
                    .withDescription("nothing stored for episode " + studyId + "/" + index).asRuntimeException());
        });
    }

    @Override
    public Uni<ListArtifactsResponse> listArtifacts(ListArtifactsRequest request) {
        return Uni.createFrom().item(queries::listArtifacts);
    }

    private static String requireStudyId(StudyId id) {
        if (id.getValue().isBlank()) {
            throw Status.INVALID_ARGUMENT.withDescription("study_id is empty").asRuntimeException();
        }
        return id.getValue();
    }
}
