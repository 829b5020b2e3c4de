package dev.qwm.collector.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.collector.repository.VerificationRecords;
import dev.qwm.collector.repository.VerificationRepository;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * The verdicts of {@code ./qwm verify} run through the services and the searches of {@code ./qwm autoquant}: the CLI
 * PUTs each verification after every paired batch (its id is its content key, so a resumed verification replaces its
 * row) and each search once it has chosen; {@code GET} reads them back ({@code ?search=ID}: one search's verifications).
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
public class VerificationResource {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final VerificationRepository repository;

    public VerificationResource(VerificationRepository repository) {
        this.repository = repository;
    }

    @PUT
    @Path("/verifications/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    public JsonNode putVerification(@PathParam("id") String id, String body) {
        return store("verification", id, body, r -> repository.upsert(VerificationRecords.verification(id, r), r));
    }

    @GET
    @Path("/verifications")
    public ObjectNode verifications(@QueryParam("search") String search) {
        ObjectNode out = JSON.createObjectNode();
        out.set("verifications", repository.list(search));
        return out;
    }

    @GET
    @Path("/verifications/{id}")
    public JsonNode verification(@PathParam("id") String id) {
        return repository.find(id).orElseThrow(() -> new NotFoundException("no verification " + id));
    }

    @PUT
    @Path("/searches/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    public JsonNode putSearch(@PathParam("id") String id, String body) {
        return store("search", id, body, r -> repository.upsert(VerificationRecords.search(id, r), r));
    }

    @GET
    @Path("/searches")
    public ObjectNode searches() {
        ObjectNode out = JSON.createObjectNode();
        out.set("searches", repository.searches());
        return out;
    }

    @GET
    @Path("/searches/{id}")
    public JsonNode search(@PathParam("id") String id) {
        ObjectNode s = (ObjectNode) repository.search(id).orElseThrow(() -> new NotFoundException("no search " + id));
        s.set("verifications", repository.list(id));
        return s;
    }

    /** A PUT's body stored by {@code upsert}: a record it refuses is a 400 naming the {@code kind}, the id and why. */
    private static JsonNode store(String kind, String id, String body, Consumer<JsonNode> upsert) {
        JsonNode record = parse(body);
        try {
            upsert.accept(record);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(kind + " " + id + ": " + e.getMessage());
        }
        return JSON.createObjectNode().put("stored", id);
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body == null ? "" : body);
        } catch (IOException e) {
            throw new BadRequestException("the body is not valid JSON: " + e.getMessage());
        }
    }
}
