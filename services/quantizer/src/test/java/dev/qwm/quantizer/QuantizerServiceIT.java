package dev.qwm.quantizer;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.hamcrest.Matchers.hasItems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.api.events.v1.ArtifactCreated;
import dev.qwm.api.quantizer.v1.QuantizerApi.CalibrationSettings;
import dev.qwm.api.quantizer.v1.QuantizerApi.CancelQuantizationJobRequest;
import dev.qwm.api.quantizer.v1.QuantizerApi.GetQuantizationJobRequest;
import dev.qwm.api.quantizer.v1.QuantizerApi.GetQuantizationJobResponse;
import dev.qwm.api.quantizer.v1.QuantizerApi.JobState;
import dev.qwm.api.quantizer.v1.QuantizerApi.ModuleRecipe;
import dev.qwm.api.quantizer.v1.QuantizerApi.QuantMethod;
import dev.qwm.api.quantizer.v1.QuantizerServiceGrpc;
import dev.qwm.api.quantizer.v1.QuantizerApi.Recipe;
import dev.qwm.api.quantizer.v1.QuantizerApi.SubmitQuantizationRequest;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.testsupport.EmbeddedInfraResource;
import dev.qwm.testsupport.TopicRecords;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The quantizer as it runs in production, against a real Kafka broker: jobs submitted over HTTP and gRPC quantize
 * real (randomly initialised) world-model graphs into the artifact store, a resubmission returns the stored bundle,
 * the ArtifactCreated events are read back from the broker, and impossible recipes are refused on both APIs.
 */
@QuarkusTest
@QuarkusTestResource(EmbeddedInfraResource.class)
@QuarkusTestResource(TemporaryArtifactStore.class)
class QuantizerServiceIT {

    private static final String TOPIC = "qwm.quantizer.artifact-created.v1";
    private static final Duration JOB_WITHIN = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/")
    URL root;

    private ManagedChannel channel;
    private QuantizerServiceGrpc.QuantizerServiceBlockingStub quantizer;

    @BeforeEach
    void connect() {
        // gRPC is served on the HTTP port
        channel = ManagedChannelBuilder.forAddress(root.getHost(), root.getPort()).usePlaintext().build();
        quantizer = QuantizerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void quantizesAPresetIntoTheStoreOnceAndAnnouncesItsArtifacts() throws Exception {
        ModelBundle fp = SourceBundles.wall(TemporaryArtifactStore.sources().resolve("wall-fp"), 1);
        String fpEncoder = fp.manifest().components().get(BundleManifest.VISUAL_ENCODER).sha256();
        String fpPredictor = fp.manifest().components().get(BundleManifest.PREDICTOR).sha256();

        String jobId = given().contentType(ContentType.JSON)
                .body(Map.of("bundle", fp.directory().toString(), "preset", "w4a16-g128", "modules", "predictor"))
                .post("/api/v1/quantizations")
                .then().statusCode(200).body("reused", equalTo(false))
                .extract().path("job_id");
        JsonNode job = awaitFinished(jobId);
        assertEquals("SUCCEEDED", job.get("state").asText(), job.toString());
        assertEquals(1.0, job.get("progress").asDouble());

        // the output bundle: in the store, named by the job id, valid (ModelBundle.read verifies every sha256),
        // the predictor rewritten and much smaller, the rest shared with the source
        Path out = Path.of(job.get("bundle").asText());
        assertEquals(TemporaryArtifactStore.root().resolve(jobId), out);
        assertTrue(jobId.startsWith("random-small-wall-w4a16-g128-rtn-predictor-"), jobId);
        ModelBundle q = ModelBundle.read(out);
        long fpBytes = fp.manifest().components().get(BundleManifest.PREDICTOR).bytes();
        long qBytes = q.manifest().components().get(BundleManifest.PREDICTOR).bytes();
        assertTrue(qBytes < 0.5 * fpBytes, "predictor " + qBytes + " bytes vs FP " + fpBytes);
        for (String c : List.of(BundleManifest.VISUAL_ENCODER, BundleManifest.PROPRIO_ENCODER, BundleManifest.ACTION_ENCODER)) {
            assertEquals(fp.manifest().components().get(c).sha256(), q.manifest().components().get(c).sha256(), c);
        }
        try (OnnxWorldModel model = OnnxWorldModel.open(q, SessionConfig.singleThreaded())) {
            assertEquals(q.manifest().numPatches() * q.manifest().latentDim(),
                    model.encode(new dev.qwm.planning.Observation(new byte[64 * 64 * 3], 64, new double[]{30, 30}, null))
                            .visual().length);
        }
        // artifacts and manifest as the API reports them
        JsonNode encoder = job.get("artifacts").get(0);
        JsonNode predictor = job.get("artifacts").get(1);
        assertEquals("encoder", encoder.get("component").asText());
        assertEquals(fpEncoder, encoder.get("sha256").asText());
        assertFalse(encoder.get("quantized").asBoolean());
        assertEquals("predictor", predictor.get("component").asText());
        assertEquals(q.manifest().components().get(BundleManifest.PREDICTOR).sha256(), predictor.get("sha256").asText());
        assertNotEquals(fpPredictor, predictor.get("sha256").asText());
        assertTrue(predictor.get("quantized").asBoolean());
        assertEquals(qBytes, predictor.get("bytes").asLong());
        assertEquals("qwm-quantization/3", job.get("manifest").get("format").asText());
        assertEquals("w4a16-g128-rtn-predictor", job.get("manifest").get("recipe").get("name").asText());
        assertEquals(JSON.readTree(out.resolve("quantization.json").toFile()), job.get("manifest"));
        try (Stream<Path> partials = Files.list(TemporaryArtifactStore.root().resolve(".partial"))) {
            assertEquals(0, partials.count(), "no partial folder is left behind");
        }

        // the same bundle and recipe again, over gRPC (the preset with its method given in the recipe): the same
        // job id, finished at once, nothing quantized
        long modified = Files.getLastModifiedTime(out.resolve("predictor.onnx")).toMillis();
        String again = quantizer.submitQuantization(SubmitQuantizationRequest.newBuilder()
                .setSourceBundle(fp.directory().toString()).setPreset("w4a16-g128")
                .addPresetModules(ModelComponent.MODEL_COMPONENT_PREDICTOR)
                .setRecipe(Recipe.newBuilder().addModules(ModuleRecipe.newBuilder().setMethod(QuantMethod.QUANT_METHOD_RTN)))
                .build()).getJobId();
        assertEquals(jobId, again);
        GetQuantizationJobResponse reused = quantizer.getQuantizationJob(GetQuantizationJobRequest.newBuilder().setJobId(again).build());
        assertEquals(JobState.JOB_STATE_SUCCEEDED, reused.getState());
        assertEquals(out.toString(), reused.getBundle());
        assertEquals(List.of(ModelComponent.MODEL_COMPONENT_ENCODER, ModelComponent.MODEL_COMPONENT_PREDICTOR),
                reused.getArtifactsList().stream().map(ArtifactRef::getComponent).toList());
        assertEquals(predictor.get("sha256").asText(), reused.getArtifacts(1).getSha256());
        assertEquals(Files.readString(out.resolve("quantization.json")), reused.getManifestJson());
        given().contentType(ContentType.JSON)
                .body(Map.of("bundle", fp.directory().toString(), "preset", "w4a16-g128", "modules", "predictor", "method", "rtn"))
                .post("/api/v1/quantizations")
                .then().statusCode(200).body("job_id", equalTo(jobId)).body("state", equalTo("SUCCEEDED"))
                .body("reused", equalTo(true));
        assertEquals(modified, Files.getLastModifiedTime(out.resolve("predictor.onnx")).toMillis());

        // on the broker: the FP encoder and predictor (no source), then the quantized predictor (its source the FP
        // one); keyed by sha256, event id in the header; the resubmissions published nothing more
        List<ConsumerRecord<String, byte[]>> records = artifactEvents(fp.directory(), out, 3);
        List<ArtifactCreated> events = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            ArtifactCreated e = ArtifactCreated.parseFrom(r.value());
            assertEquals(e.getArtifact().getSha256(), r.key());
            Header id = r.headers().lastHeader("qwm-event-id");
            assertEquals(e.getEventId(), new String(id.value(), StandardCharsets.UTF_8));
            events.add(e);
        }
        ArtifactCreated fpEncoderEvent = only(events, fpEncoder);
        assertFalse(fpEncoderEvent.hasSource());
        assertEquals(ModelComponent.MODEL_COMPONENT_ENCODER, fpEncoderEvent.getArtifact().getComponent());
        assertEquals(fp.directory().toString(), fpEncoderEvent.getArtifact().getBundle());
        assertEquals("random-small-wall", fpEncoderEvent.getArtifact().getLabel());
        assertFalse(only(events, fpPredictor).hasSource());
        ArtifactCreated quantized = only(events, predictor.get("sha256").asText());
        assertEquals(ModelComponent.MODEL_COMPONENT_PREDICTOR, quantized.getArtifact().getComponent());
        assertEquals(out.toString(), quantized.getArtifact().getBundle());
        assertEquals(q.manifest().name(), quantized.getArtifact().getLabel());
        assertEquals(fpPredictor, quantized.getSource().getSha256());
        assertEquals(fp.directory().toString(), quantized.getSource().getBundle());
        assertEquals(qBytes, quantized.getSizeBytes());
        assertEquals("w4a16-g128-rtn-predictor", JSON.readTree(quantized.getRecipeJson()).get("name").asText());
        assertEquals(Files.readString(out.resolve("quantization.json")), quantized.getManifestJson());
        assertTrue(quantized.getCreatedAtUnixMs() > 0);
        // where it was quantized, typed, as the manifest records it
        assertEquals(dev.qwm.onnx.runtime.CpuFeatures.current().cpuClass(), quantized.getQuantizedOn().getCpuClass());
        assertEquals(JSON.readTree(quantized.getManifestJson()).get("ranOn").get("cpu").asText(),
                quantized.getQuantizedOn().getCpuModel());
        assertFalse(fpEncoderEvent.hasQuantizedOn(), "a registered original was not quantized anywhere");

        // a quantized bundle is announced by the job that made it, never as a full-precision original
        given().contentType(ContentType.JSON).body(Map.of("bundle", out.toString())).post("/api/v1/artifacts")
                .then().statusCode(400).body("error", containsString("is a quantized bundle"));

        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metricAtLeast(metrics, "qwm_quantizer_jobs_total{outcome=\"succeeded\"}", 1), metrics);
        assertTrue(metricAtLeast(metrics, "qwm_quantizer_jobs_total{outcome=\"reused\"}", 2), metrics);
        assertTrue(metricAtLeast(metrics, "qwm_quantizer_job_duration_seconds_count{outcome=\"succeeded\"}", 1), metrics);
    }

    @Test
    void calibratesDataAwareRecipesOnFpPlanningEpisodes() throws Exception {
        ModelBundle fp = SourceBundles.wall(TemporaryArtifactStore.sources().resolve("wall-calibration"), 2);
        // a full recipe over gRPC: W8A8 SmoothQuant (alpha as a method parameter) on the predictor, 2 calibration
        // episodes of 1 MPC iteration (the test profile plans them with a small CEM budget)
        String jobId = quantizer.submitQuantization(SubmitQuantizationRequest.newBuilder()
                .setSourceBundle(fp.directory().toString())
                .setRecipe(Recipe.newBuilder().setName("w8a8-sq")
                        .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR)
                                .setMethod(QuantMethod.QUANT_METHOD_SMOOTHQUANT).setWeightBits(8).setActivationBits(8)
                                .putParameters("alpha", "0.6"))
                        .setCalibration(CalibrationSettings.newBuilder().setEpisodes(2).setQuantIter(1)))
                .build()).getJobId();
        GetQuantizationJobResponse job = awaitFinishedGrpc(jobId);
        assertEquals(JobState.JOB_STATE_SUCCEEDED, job.getState(), job.getMessage());
        JsonNode manifest = JSON.readTree(job.getManifestJson());
        assertEquals(0.6, manifest.get("recipe").get("modules").get("predictor").get("options").get("smoothquant").get("alpha").asDouble());
        assertEquals(2, manifest.get("recipe").get("calibration").get("episodes").asInt());
        assertTrue(manifest.get("calibrationBatches").asLong() >= 2 * 2 * 5, manifest.toString());
        assertEquals(64, manifest.get("calibrationFingerprint").asText().length());
        ModelBundle.read(Path.of(job.getBundle()));
    }

    @Test
    void weightOnlyRecipesWithCalibrationEpisodesReportEveryLayersOutputError() throws Exception {
        ModelBundle fp = SourceBundles.wall(TemporaryArtifactStore.sources().resolve("wall-measured"), 1);
        String jobId = given().contentType(ContentType.JSON)
                .body(Map.of("bundle", fp.directory().toString(), "preset", "w4a16-g128", "modules", "predictor",
                        "episodes", 1, "quant_iter", 1))
                .post("/api/v1/quantizations")
                .then().statusCode(200).extract().path("job_id");
        JsonNode job = awaitFinished(jobId);
        assertEquals("SUCCEEDED", job.get("state").asText(), job.toString());
        JsonNode manifest = job.get("manifest");
        assertTrue(manifest.get("calibrationBatches").asLong() > 0, manifest.toString());
        JsonNode layers = manifest.get("modules").get(0).get("layers");
        assertTrue(layers.size() > 0);
        for (JsonNode layer : layers) {
            assertTrue(layer.get("outputSqnrDb").isNumber(), "no output error measured: " + layer);
        }
    }

    @Test
    void aQueuedJobCancelledNeverRunsARunningOneStopsAndStoresNothingBothAreRecorded() throws Exception {
        ModelBundle fp = SourceBundles.wall(TemporaryArtifactStore.sources().resolve("wall-cancel"), 3);
        // a long job: 1,000 calibration episodes (the bound), so it is still calibrating when it is cancelled
        String running = given().contentType(ContentType.JSON)
                .body(Map.of("bundle", fp.directory().toString(), "preset", "w8a8", "modules", "predictor",
                        "episodes", 1000, "quant_iter", 1))
                .post("/api/v1/quantizations").then().statusCode(200).extract().path("job_id");
        Awaitility.await("job " + running + " calibrating").atMost(JOB_WITHIN).pollInterval(Duration.ofMillis(200))
                .until(() -> given().get("/api/v1/quantizations/" + running).then().statusCode(200).extract()
                        .<String>path("message").startsWith("calibrating"));
        // one job at a time: the next one waits behind it
        String queued = given().contentType(ContentType.JSON)
                .body(Map.of("bundle", fp.directory().toString(), "preset", "w4a16", "modules", "predictor"))
                .post("/api/v1/quantizations").then().statusCode(200).extract().path("job_id");
        given().get("/api/v1/quantizations/" + queued).then().statusCode(200).body("state", equalTo("RUNNING"))
                .body("message", startsWith("queued behind"));

        GetQuantizationJobResponse cancelled = quantizer.cancelQuantizationJob(
                CancelQuantizationJobRequest.newBuilder().setJobId(queued).build());
        assertEquals(JobState.JOB_STATE_CANCELLED, cancelled.getState());
        assertEquals("cancelled while queued; it never ran", cancelled.getMessage());

        given().post("/api/v1/quantizations/" + running + "/cancel").then().statusCode(200)
                .body("job_id", equalTo(running));
        JsonNode stopped = awaitFinished(running);
        assertEquals("CANCELLED", stopped.get("state").asText(), stopped.toString());
        assertTrue(stopped.get("message").asText().contains("(calibrating")
                && stopped.get("message").asText().endsWith("nothing was stored"), stopped.toString());
        assertFalse(Files.exists(TemporaryArtifactStore.root().resolve(running)), "no bundle of the cancelled job");
        // both are on disk for the next start, as they ended
        for (String id : List.of(queued, running)) {
            JsonNode recorded = JSON.readTree(TemporaryArtifactStore.root().resolve(".jobs").resolve(id + ".json").toFile());
            assertEquals("CANCELLED", recorded.get("state").asText(), recorded.toString());
        }
        // cancelling again changes nothing; an unknown job is named
        given().post("/api/v1/quantizations/" + queued + "/cancel").then().statusCode(200).body("state", equalTo("CANCELLED"));
        StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> quantizer.cancelQuantizationJob(
                CancelQuantizationJobRequest.newBuilder().setJobId("no-such-job").build()));
        assertEquals(io.grpc.Status.Code.NOT_FOUND, unknown.getStatus().getCode());
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metricAtLeast(metrics, "qwm_quantizer_jobs_total{outcome=\"cancelled\"}", 2), metrics);
    }

    @Test
    void refusesImpossibleRecipesOnBothApisNamingTheProblem() {
        ModelBundle fp = SourceBundles.wall(TemporaryArtifactStore.sources().resolve("wall-refusals"), 3);
        String bundle = fp.directory().toString();

        // 5-bit weights: gRPC INVALID_ARGUMENT, HTTP 400, the same message
        StatusRuntimeException fiveBits = assertThrows(StatusRuntimeException.class, () -> quantizer.submitQuantization(
                SubmitQuantizationRequest.newBuilder().setSourceBundle(bundle).setRecipe(Recipe.newBuilder().setName("w5")
                        .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR)
                                .setWeightBits(5))).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, fiveBits.getStatus().getCode());
        assertTrue(fiveBits.getStatus().getDescription().contains("5-bit weights are not supported"),
                fiveBits.getStatus().getDescription());
        given().contentType(ContentType.JSON)
                .body(Map.of("bundle", bundle, "recipe_yaml", "name: w5\nmodules:\n  predictor: {weights: {bits: 5}}\n"))
                .post("/api/v1/quantizations")
                .then().statusCode(400).body("error", equalTo(fiveBits.getStatus().getDescription()));

        // a layer pattern that matches no layer of this bundle's predictor
        StatusRuntimeException pattern = assertThrows(StatusRuntimeException.class, () -> quantizer.submitQuantization(
                SubmitQuantizationRequest.newBuilder().setSourceBundle(bundle).setRecipe(Recipe.newBuilder()
                        .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR)
                                .setWeightBits(4).setLayerPattern(".*no_such_layer.*"))).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, pattern.getStatus().getCode());
        assertTrue(pattern.getStatus().getDescription().contains("matches no linear layer of the predictor graph"),
                pattern.getStatus().getDescription());

        // unknown preset, a group that is not offered, an unreadable bundle, a preset without modules
        StatusRuntimeException preset = assertThrows(StatusRuntimeException.class, () -> quantizer.submitQuantization(
                SubmitQuantizationRequest.newBuilder().setSourceBundle(bundle).setPreset("w5a16")
                        .addPresetModules(ModelComponent.MODEL_COMPONENT_PREDICTOR).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, preset.getStatus().getCode());
        given().contentType(ContentType.JSON).body(Map.of("bundle", bundle, "preset", "w5a16", "modules", "predictor"))
                .post("/api/v1/quantizations")
                .then().statusCode(400).body("error", equalTo(preset.getStatus().getDescription()))
                .body("error", containsString("unknown preset 'w5a16'"));
        given().contentType(ContentType.JSON).body(Map.of("bundle", bundle, "recipe_yaml",
                        "name: g100\nmodules:\n  encoder: {weights: {bits: 4, group: 100}}\n"))
                .post("/api/v1/quantizations")
                .then().statusCode(400).body("error", containsString("weight group size 100 is not supported"));
        StatusRuntimeException missing = assertThrows(StatusRuntimeException.class, () -> quantizer.submitQuantization(
                SubmitQuantizationRequest.newBuilder().setSourceBundle(bundle + "-missing").setPreset("w8a16")
                        .addPresetModules(ModelComponent.MODEL_COMPONENT_ENCODER).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, missing.getStatus().getCode());
        assertTrue(missing.getStatus().getDescription().contains(bundle + "-missing"), missing.getStatus().getDescription());
        given().contentType(ContentType.JSON).body(Map.of("bundle", bundle, "preset", "w8a8"))
                .post("/api/v1/quantizations")
                .then().statusCode(400).body("error", equalTo("preset 'w8a8' needs modules: encoder, predictor or both"));
        given().contentType(ContentType.JSON).body(Map.of("bundle", bundle, "preset", "w8a8", "module", "encoder"))
                .post("/api/v1/quantizations")
                .then().statusCode(400).body("error", containsString("unknown field 'module'"));

        // unknown jobs
        StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> quantizer.getQuantizationJob(
                GetQuantizationJobRequest.newBuilder().setJobId("no-such-job").build()));
        assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
        given().get("/api/v1/quantizations/no-such-job").then().statusCode(404)
                .body("error", equalTo("no quantization job 'no-such-job'"));
        given().get("/api/v1/quantizations/..").then().statusCode(404);

        // nothing was written for any refusal
        try (Stream<Path> stored = Files.list(TemporaryArtifactStore.root())) {
            assertTrue(stored.noneMatch(p -> p.getFileName().toString().contains("w5")));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void announcesAFullPrecisionBundleOnRequest() throws Exception {
        ModelBundle fp = SourceBundles.wall(TemporaryArtifactStore.sources().resolve("wall-register"), 4);
        given().contentType(ContentType.JSON).body(Map.of("bundle", fp.directory().toString()))
                .post("/api/v1/artifacts")
                .then().statusCode(200)
                .body("artifacts.component", org.hamcrest.Matchers.contains("encoder", "predictor"))
                .body("artifacts[1].sha256", equalTo(fp.manifest().components().get(BundleManifest.PREDICTOR).sha256()));
        List<ConsumerRecord<String, byte[]>> records = artifactEvents(fp.directory(), fp.directory(), 2);
        for (ConsumerRecord<String, byte[]> r : records) {
            ArtifactCreated e = ArtifactCreated.parseFrom(r.value());
            assertFalse(e.hasSource());
            assertEquals(fp.manifest().components().get(e.getArtifact().getComponent() == ModelComponent.MODEL_COMPONENT_ENCODER
                    ? BundleManifest.VISUAL_ENCODER : BundleManifest.PREDICTOR).sha256(), r.key());
        }
        given().contentType(ContentType.JSON).body(Map.of("bundle", fp.directory() + "-missing"))
                .post("/api/v1/artifacts").then().statusCode(400).body("error", containsString("not found or not allowed"));
    }

    @Test
    void listsPresetsAndIsReadyWithTheBroker() {
        given().get("/api/v1/presets").then().statusCode(200)
                .body("presets.name", hasItems("w8a8", "w8a16", "w6a16", "w4a16-g128", "w4a16", "w3a16", "w4a8"))
                .body("methods", hasItems("rtn", "omse", "awq", "smoothquant", "omniquant", "gptq"))
                .body("modules", hasItems("encoder", "predictor", "both"));
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", hasItems("Kafka broker", "artifact store"));
    }

    private JsonNode awaitFinished(String jobId) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await("job " + jobId).atMost(JOB_WITHIN).pollInterval(Duration.ofMillis(200)).until(() -> {
            String body = given().get("/api/v1/quantizations/" + jobId).then().statusCode(200).extract().asString();
            last[0] = JSON.readTree(body);
            return !last[0].get("state").asText().equals("RUNNING");
        });
        return last[0];
    }

    private GetQuantizationJobResponse awaitFinishedGrpc(String jobId) {
        GetQuantizationJobResponse[] last = new GetQuantizationJobResponse[1];
        Awaitility.await("job " + jobId).atMost(JOB_WITHIN).pollInterval(Duration.ofMillis(200)).until(() -> {
            last[0] = quantizer.getQuantizationJob(GetQuantizationJobRequest.newBuilder().setJobId(jobId).build());
            return last[0].getState() != JobState.JOB_STATE_RUNNING;
        });
        return last[0];
    }

    /**
     * The events about {@code source} and {@code out} on the topic: waits for {@code expected} of them, then keeps
     * reading for two more seconds so that an extra (duplicate) publication would be seen.
     */
    private static List<ConsumerRecord<String, byte[]>> artifactEvents(Path source, Path out, int expected) {
        List<ConsumerRecord<String, byte[]>> found = TopicRecords.read(TOPIC, r -> {
            String bundle;
            try {
                bundle = ArtifactCreated.parseFrom(r.value()).getArtifact().getBundle();
            } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                throw new AssertionError("not an ArtifactCreated on " + TOPIC, ex);
            }
            return bundle.equals(source.toString()) || bundle.equals(out.toString());
        }, expected);
        assertEquals(expected, found.size(), "ArtifactCreated events about " + source + " and " + out);
        return found;
    }

    private static ArtifactCreated only(List<ArtifactCreated> events, String sha256) {
        List<ArtifactCreated> matching = events.stream().filter(e -> e.getArtifact().getSha256().equals(sha256)).toList();
        assertEquals(1, matching.size(), "events for " + sha256);
        return matching.get(0);
    }

    private static boolean metricAtLeast(String prometheus, String series, double atLeast) {
        return prometheus.lines().filter(l -> l.startsWith(series + " ") || l.startsWith(series.replace("}", ",") ))
                .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .anyMatch(v -> v >= atLeast);
    }
}
