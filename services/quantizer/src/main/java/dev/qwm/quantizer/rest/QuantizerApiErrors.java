package dev.qwm.quantizer.rest;

import dev.qwm.quant.recipe.RecipeException;
import dev.qwm.quantizer.job.InvalidSubmissionException;
import dev.qwm.quantizer.job.QueueFullException;
import dev.qwm.quantizer.job.UnknownJobException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Errors of the HTTP API as {@code {"error": "..."}}, with the same text as the gRPC status description. */
public class QuantizerApiErrors {

    @ServerExceptionMapper
    public Response invalid(RecipeException e) {
        return error(Response.Status.BAD_REQUEST, e.getMessage());
    }

    @ServerExceptionMapper
    public Response invalid(InvalidSubmissionException e) {
        return error(Response.Status.BAD_REQUEST, e.getMessage());
    }

    @ServerExceptionMapper
    public Response unknown(UnknownJobException e) {
        return error(Response.Status.NOT_FOUND, e.getMessage());
    }

    @ServerExceptionMapper
    public Response busy(QueueFullException e) {
        return error(Response.Status.SERVICE_UNAVAILABLE, e.getMessage());
    }

    @ServerExceptionMapper
    public Response broken(IllegalStateException e) {
        return error(Response.Status.CONFLICT, e.getMessage());
    }

    @ServerExceptionMapper
    public Response webApplicationError(WebApplicationException e) {
        return error(e.getResponse().getStatus(), e.getMessage());
    }

    private static Response error(Response.Status status, String message) {
        return error(status.getStatusCode(), message);
    }

    private static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", message)).build();
    }
}
