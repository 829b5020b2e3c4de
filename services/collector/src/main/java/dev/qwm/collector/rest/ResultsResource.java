package dev.qwm.collector.rest;

import dev.qwm.api.collector.v1.GetEpisodeTraceResponse;
import dev.qwm.api.collector.v1.GetStudyResponse;
import dev.qwm.api.collector.v1.ListArtifactsResponse;
import dev.qwm.api.collector.v1.ListEpisodeResultsResponse;
import dev.qwm.api.collector.v1.ListStudiesResponse;
import dev.qwm.collector.repository.ResultQueries;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * Study results as HTTP JSON: the same messages as {@code CollectorService}, printed by {@link ProtobufJsonWriter}.
 * The methods return plain values, so Quarkus REST runs them on worker threads (JDBC blocks).
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
public class ResultsResource {

    private final ResultQueries queries;

    public ResultsResource(ResultQueries queries) {
        this.queries = queries;
    }

    @GET
    @Path("/studies")
    public ListStudiesResponse studies() {
        return queries.listStudies();
    }

    @GET
    @Path("/studies/{studyId}")
    public GetStudyResponse study(@PathParam("studyId") String studyId) {
        return queries.getStudy(studyId).orElseThrow(() -> new NotFoundException("no study " + studyId));
    }

    @GET
    @Path("/studies/{studyId}/episodes")
    public ListEpisodeResultsResponse episodes(@PathParam("studyId") String studyId) {
        return queries.listEpisodeResults(studyId);
    }

    @GET
    @Path("/episodes/{studyId}/{index}/trace")
    public GetEpisodeTraceResponse trace(@PathParam("studyId") String studyId, @PathParam("index") int index) {
        if (index < 0) {
            throw new jakarta.ws.rs.BadRequestException("episode index is negative (" + index + ")");
        }
        return queries.getEpisodeTrace(studyId, index)
                .orElseThrow(() -> new NotFoundException("nothing stored for episode " + studyId + "/" + index));
    }

    @GET
    @Path("/artifacts")
    public ListArtifactsResponse artifacts() {
        return queries.listArtifacts();
    }
}
