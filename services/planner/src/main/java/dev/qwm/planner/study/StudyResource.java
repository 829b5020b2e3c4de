package dev.qwm.planner.study;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.DataSplit;
import dev.qwm.api.common.v1.EnvironmentId;
import dev.qwm.api.common.v1.EpisodeId;
import dev.qwm.api.common.v1.EpisodeSeeding;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.api.common.v1.PlannerBudget;
import dev.qwm.api.common.v1.StudyId;
import dev.qwm.api.events.v1.EpisodeRequested;
import dev.qwm.api.events.v1.StudySubmitted;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.planner.messaging.EventPublisher;
import dev.qwm.planning.onnx.OnnxWorldModel;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code POST /api/v1/studies}: checks a study completely (environment, artifacts, compatibility of each encoder
 * with its predictor, budgets) before anything is published, then publishes the study and one request per
 * (configuration, episode). Episode n of every configuration has the same seed, so configurations are paired.
 */
@Path("/api/v1/studies")
public class StudyResource {

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final EventPublisher publisher;

    public StudyResource(EventPublisher publisher) {
        this.publisher = publisher;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response submit(String body) {
        StudyRequest study;
        List<EpisodeRequested> requests;
        try {
            study = parse(body);
            requests = expand(study);
        } catch (IllegalArgumentException e) {
            return Response.status(Response.Status.BAD_REQUEST).entity(Map.of("error", e.getMessage())).build();
        }
        String studyId = requests.get(0).getEpisodeId().getStudyId().getValue();
        String eventId = UUID.randomUUID().toString();
        publisher.studySubmitted(studyId, eventId, StudySubmitted.newBuilder()
                .setEventId(eventId).setStudyId(StudyId.newBuilder().setValue(studyId))
                .setName(study.name()).setSpecJson(specJson(study, body))
                .setEpisodeCount(requests.size()).setSubmittedAtUnixMs(System.currentTimeMillis())
                .build());
        for (EpisodeRequested r : requests) {
            publisher.episodeRequested(r.getEpisodeId().getStudyId().getValue() + "/" + r.getEpisodeId().getIndex(),
                    r.getEventId(), r);
        }
        return Response.status(Response.Status.CREATED)
                .entity(Map.of("study_id", studyId, "episodes", requests.size())).build();
    }

    static StudyRequest parse(String body) {
        try {
            StudyRequest s = JSON.readValue(body, StudyRequest.class);
            if (s == null) {
                throw new IllegalArgumentException("empty study");
            }
            return s;
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException("unknown field '" + e.getPropertyName() + "' in the study (known: "
                    + e.getKnownPropertyIds() + ")");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("the study is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** Every episode request of the study, or an error naming the first problem found. */
    static List<EpisodeRequested> expand(StudyRequest s) {
        require(s.name() != null && !s.name().isBlank(), "the study needs a name");
        EnvironmentId env = switch (s.environment() == null ? "" : s.environment()) {
            case "wall" -> EnvironmentId.ENVIRONMENT_ID_WALL;
            case "pusht" -> EnvironmentId.ENVIRONMENT_ID_PUSHT;
            default -> throw new IllegalArgumentException("environment must be wall or pusht, got '" + s.environment() + "'");
        };
        require(s.episodes() >= 1 && s.episodes() <= 10_000, "episodes per configuration must be 1..10000, got " + s.episodes());
        require(s.configurations() != null && !s.configurations().isEmpty(), "the study has no configurations");
        DataSplit split = switch (s.split() == null ? "validation" : s.split()) {
            case "validation" -> DataSplit.DATA_SPLIT_VALIDATION;
            case "train" -> DataSplit.DATA_SPLIT_TRAIN;
            default -> throw new IllegalArgumentException("split must be validation or train, got '" + s.split() + "'");
        };
        long base = s.seedBase() == null ? 99 : s.seedBase();
        long offset = s.seedOffset() == null ? 1 : s.seedOffset();
        String studyId = s.studyId() != null && !s.studyId().isBlank() ? s.studyId()
                : s.name().replaceAll("[^A-Za-z0-9._-]", "-") + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(4);
        List<EpisodeRequested> out = new ArrayList<>();
        java.util.Set<String> labels = new java.util.HashSet<>();
        for (int c = 0; c < s.configurations().size(); c++) {
            StudyRequest.Configuration conf = s.configurations().get(c);
            String where = "configuration " + (c + 1) + (conf.label() == null ? "" : " (" + conf.label() + ")");
            require(conf.label() != null && !conf.label().isBlank(), where + " has no label");
            require(labels.add(conf.label()), "two configurations are labelled '" + conf.label() + "'");
            ArtifactRef encoder = artifact(conf.encoder(), ModelComponent.MODEL_COMPONENT_ENCODER, where, s.environment());
            ArtifactRef predictor = artifact(conf.predictor(), ModelComponent.MODEL_COMPONENT_PREDICTOR, where, s.environment());
            try {
                OnnxWorldModel.requireCompatible(manifest(encoder.getBundle()), manifest(predictor.getBundle()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
            require(conf.budget() != null, where + " has no budget");
            StudyRequest.Budget b = conf.budget();
            try {
                new dev.qwm.planning.PlannerBudget(b.horizon(), b.samples(), b.topK(), b.varScale(), b.optSteps(),
                        b.maxIter(), b.objectiveAlpha(), b.executedActions());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": budget: " + e.getMessage());
            }
            PlannerBudget budget = PlannerBudget.newBuilder().setHorizon(b.horizon()).setSamples(b.samples())
                    .setTopK(b.topK()).setVarScale((float) b.varScale()).setOptSteps(b.optSteps())
                    .setMaxIter(b.maxIter()).setObjectiveAlpha((float) b.objectiveAlpha())
                    .setExecutedActions(b.executedActions()).build();
            for (int n = 0; n < s.episodes(); n++) {
                out.add(EpisodeRequested.newBuilder()
                        .setEventId(UUID.randomUUID().toString())
                        .setEpisodeId(EpisodeId.newBuilder().setStudyId(StudyId.newBuilder().setValue(studyId))
                                .setIndex(c * s.episodes() + n))
                        .setEnvironment(env).setEncoder(encoder).setPredictor(predictor).setBudget(budget)
                        .setSeeding(EpisodeSeeding.newBuilder().setSeed(base * n + offset).setSeedBase(base)
                                .setSeedOffset(offset).setSplit(split))
                        .setConfiguration(conf.label())
                        .setPlannerSeed(s.plannerSeed() == null ? 0 : s.plannerSeed())
                        .setEvaluateCemSteps(s.evaluateCemSteps() == null || s.evaluateCemSteps())
                        .build());
            }
        }
        return out;
    }

    private static ArtifactRef artifact(StudyRequest.Artifact a, ModelComponent component, String where, String env) {
        String role = component == ModelComponent.MODEL_COMPONENT_ENCODER ? "encoder" : "predictor";
        require(a != null && a.bundle() != null && !a.bundle().isBlank(), where + " names no " + role + " bundle");
        BundleManifest m;
        try {
            m = manifest(a.bundle());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(where + ": " + role + ": " + e.getMessage());
        }
        require(m.environment().equals(env), where + ": " + role + " bundle " + m.name() + " is for "
                + m.environment() + ", the study is " + env);
        String sha = m.components().get(role.equals("encoder") ? BundleManifest.VISUAL_ENCODER : BundleManifest.PREDICTOR)
                .sha256();
        require(a.sha256() == null || a.sha256().isBlank() || a.sha256().equals(sha), where + ": " + role
                + " bundle " + a.bundle() + " holds " + sha + ", not the requested " + a.sha256());
        return ArtifactRef.newBuilder().setBundle(java.nio.file.Path.of(a.bundle()).toAbsolutePath().normalize().toString())
                .setSha256(sha).setComponent(component)
                .setLabel(a.label() == null || a.label().isBlank() ? m.name() : a.label()).build();
    }

    private static BundleManifest manifest(String bundle) {
        return ModelBundle.parseManifest(java.nio.file.Path.of(bundle).resolve(ModelBundle.MANIFEST_FILE));
    }

    private static String specJson(StudyRequest s, String body) {
        JsonNode spec = s.spec();
        try {
            return spec != null ? JSON.writeValueAsString(spec) : JSON.writeValueAsString(JSON.readTree(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return body;
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
