package dev.qwm.quantizer.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quantizer.job.InvalidSubmissionException;
import dev.qwm.quantizer.job.JobView;
import dev.qwm.quantizer.job.QuantizationService;
import dev.qwm.quantizer.recipe.RecipeRequests;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The HTTP JSON face of the quantizer, for the command line (which speaks HTTP, not gRPC): the same jobs, the same
 * checks and the same messages as {@code QuantizerService}.
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
public class QuantizationResource {

    static final Set<String> SUBMISSION_FIELDS = Set.of("bundle", "preset", "modules", "method", "recipe_yaml",
            "episodes", "quant_iter");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final QuantizationService jobs;

    public QuantizationResource(QuantizationService jobs) {
        this.jobs = jobs;
    }

    /**
     * {@code {"bundle": DIR, "preset": NAME, "modules": "encoder|predictor|both", "method": M}} or
     * {@code {"bundle": DIR, "recipe_yaml": TEXT}}, optionally {@code "episodes"} and {@code "quant_iter"} (calibration).
     * Calibration episodes given explicitly are planned even for a recipe that needs no data, so that the manifest
     * reports every layer's output error on them.
     */
    @POST
    @Path("/quantizations")
    @Consumes(MediaType.APPLICATION_JSON)
    public Submitted submit(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new InvalidSubmissionException("the request body must be a JSON object with bundle and preset/modules"
                    + " or recipe_yaml");
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!SUBMISSION_FIELDS.contains(name)) {
                throw new InvalidSubmissionException("unknown field '" + name + "' (known: "
                        + String.join(", ", SUBMISSION_FIELDS.stream().sorted().toList()) + ")");
            }
        }
        Recipe recipe = RecipeRequests.fromHttp(text(body, "preset"), text(body, "modules"), text(body, "method"),
                text(body, "recipe_yaml"), integer(body, "episodes"), integer(body, "quant_iter"));
        JobView job = jobs.submit(text(body, "bundle"), recipe, integer(body, "episodes") != null);
        return new Submitted(job.id(), job.state().name(), job.reused());
    }

    @GET
    @Path("/quantizations/{id}")
    public JobJson job(@PathParam("id") String id) {
        return JobJson.of(jobs.get(id));
    }

    /** Cancels the job: a queued one never runs, a running one stops before storing anything; the job as it is then. */
    @POST
    @Path("/quantizations/{id}/cancel")
    public JobJson cancel(@PathParam("id") String id) {
        return JobJson.of(jobs.cancel(id));
    }

    /**
     * {@code {"bundle": DIR}}: announces a full-precision bundle's encoder and predictor (ArtifactCreated without a
     * source), for studies that evaluate a bundle nothing was quantized from.
     */
    @POST
    @Path("/artifacts")
    @Consumes(MediaType.APPLICATION_JSON)
    public Registered register(JsonNode body) {
        if (body == null || !body.isObject() || body.size() != 1 || !body.has("bundle")) {
            throw new InvalidSubmissionException("the request body must be {\"bundle\": \"<folder of a model bundle>\"}");
        }
        return new Registered(jobs.register(text(body, "bundle")).stream().map(JobJson.ArtifactJson::of).toList());
    }

    @GET
    @Path("/presets")
    public PresetsJson presets() {
        return new PresetsJson(Presets.names().stream().map(n -> new PresetJson(n, Presets.describe(n))).toList(),
                Arrays.stream(QuantMethod.values()).map(QuantMethod::id).toList(), List.of("encoder", "predictor", "both"));
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new InvalidSubmissionException(field + " must be a string, got " + v.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        return v.asText();
    }

    private static Integer integer(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new InvalidSubmissionException(field + " must be an integer, got " + v);
        }
        return v.asInt();
    }

    static JsonNode parse(String json) {
        if (json == null || json.isBlank()) {
            return null;
        }
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the stored manifest is not JSON: " + e.getOriginalMessage(), e);
        }
    }
}
