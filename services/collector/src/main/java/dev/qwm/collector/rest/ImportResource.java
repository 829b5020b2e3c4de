package dev.qwm.collector.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.qwm.api.collector.v1.GetEpisodeTraceResponse;
import dev.qwm.api.events.v1.EpisodeCompleted;
import dev.qwm.collector.messaging.EpisodeImport;
import dev.qwm.collector.messaging.MalformedEventException;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.util.Map;

/**
 * {@code POST /api/v1/studies/{study}/import}: episodes of the study as a previous collector served them (one
 * {@code {"completed": <EpisodeCompleted>, "trace": <GetEpisodeTraceResponse>}} per episode, in canonical proto3 JSON,
 * under {@code "episodes"}), stored exactly once ({@link EpisodeImport}). Returns {@code {"stored", "duplicates"}};
 * 400 naming the first malformed episode (the episodes before it are stored, and importing again is harmless).
 */
@Path("/api/v1/studies/{studyId}/import")
public class ImportResource {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    private final EpisodeImport imports;

    public ImportResource(EpisodeImport imports) {
        this.imports = imports;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Integer> importEpisodes(@PathParam("studyId") String studyId, String body) {
        JsonNode episodes;
        try {
            episodes = JSON.readTree(body).path("episodes");
        } catch (IOException e) {
            throw new BadRequestException("the import is not valid JSON: " + e.getMessage());
        }
        if (!episodes.isArray()) {
            throw new BadRequestException("the import needs an array 'episodes' of {completed, trace}");
        }
        int stored = 0;
        int duplicates = 0;
        for (int i = 0; i < episodes.size(); i++) {
            JsonNode e = episodes.get(i);
            EpisodeCompleted.Builder completed = EpisodeCompleted.newBuilder();
            GetEpisodeTraceResponse.Builder trace = GetEpisodeTraceResponse.newBuilder();
            try {
                PARSER.merge(e.path("completed").toString(), completed);
                PARSER.merge(e.path("trace").toString(), trace);
                if (imports.importEpisode(studyId, completed.build(), trace.build(), i)) {
                    stored++;
                } else {
                    duplicates++;
                }
            } catch (InvalidProtocolBufferException | MalformedEventException ex) {
                throw new BadRequestException("episodes[" + i + "]: " + ex.getMessage());
            }
        }
        return Map.of("stored", stored, "duplicates", duplicates);
    }
}
