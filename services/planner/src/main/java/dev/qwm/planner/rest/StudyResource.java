package dev.qwm.planner.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.qwm.planner.messaging.BrokerUnavailableException;
import dev.qwm.planner.service.StudyDispatcher;
import dev.qwm.planner.study.InvalidStudyException;
import dev.qwm.planner.study.StudyRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * {@code POST /api/v1/studies}: a {@link StudyRequest} in, {@code {"study_id", "episodes", "existing"}} out (201; 200
 * when the same study was submitted before), or 400 with {@code {"error"}} naming the first problem, or 409 when the
 * study id exists with another spec, or 503 naming the broker's error when the study could not be published (nothing of
 * it is visible then: submit it again); nothing is published for a refused study.
 */
@Path("/api/v1/studies")
public class StudyResource {

    private final StudyDispatcher dispatcher;

    public StudyResource(StudyDispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response submit(StudyRequest study) {
        StudyDispatcher.Dispatched d = dispatcher.dispatch(study);
        // the same study submitted again (same id, same spec) is that study: 200, nothing published twice
        return Response.status(d.existing() ? Response.Status.OK : Response.Status.CREATED)
                .entity(Map.of("study_id", d.studyId(), "episodes", d.episodes(), "existing", d.existing())).build();
    }

    @ServerExceptionMapper
    Response conflict(StudyDispatcher.StudyConflictException e) {
        return Response.status(Response.Status.CONFLICT).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", e.getMessage())).build();
    }

    @ServerExceptionMapper
    Response brokerUnavailable(BrokerUnavailableException e) {
        return Response.status(Response.Status.SERVICE_UNAVAILABLE).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", e.getMessage())).build();
    }

    @ServerExceptionMapper
    Response refused(InvalidStudyException e) {
        return badRequest(e.getMessage());
    }

    @ServerExceptionMapper
    Response unknownField(UnrecognizedPropertyException e) {
        return badRequest("unknown field '" + e.getPropertyName() + "' in the study (known: " + e.getKnownPropertyIds() + ")");
    }

    @ServerExceptionMapper
    Response notJson(JsonProcessingException e) {
        return badRequest("the study is not valid JSON: " + e.getOriginalMessage());
    }

    /** Quarkus' JSON reader wraps a syntax error in a 400 without a body: it gets the same message as other JSON errors. */
    @ServerExceptionMapper
    Response unreadable(WebApplicationException e) {
        return e.getCause() instanceof JsonProcessingException json ? notJson(json) : e.getResponse();
    }

    private static Response badRequest(String message) {
        return Response.status(Response.Status.BAD_REQUEST).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", message)).build();
    }
}
