package dev.qwm.predictor;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.predictor.v1.CloseSessionRequest;
import dev.qwm.api.predictor.v1.EmbedRequest;
import dev.qwm.api.predictor.v1.EmbedResponse;
import dev.qwm.api.predictor.v1.OpenSessionRequest;
import dev.qwm.api.predictor.v1.OpenSessionResponse;
import dev.qwm.api.predictor.v1.PredictorServiceGrpc;
import dev.qwm.api.predictor.v1.RolloutResponse;
import dev.qwm.env.wall.WallEnvironment;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Objective;
import dev.qwm.planning.Observation;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.planning.onnx.TestBundles;
import dev.qwm.predictor.mapping.Tensors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The predictor service as deployed: gRPC on its HTTP port, start and goal latents from the real encoder service (a
 * separate process on its own port). Every loss and latent is compared bit for bit with the in-process world model.
 */
@QuarkusTest
@QuarkusTestResource(EncoderServiceResource.class)
class PredictorServiceIT {

    @TestHTTPResource("/")
    URL root;

    private ManagedChannel channel;
    private PredictorServiceGrpc.PredictorServiceBlockingStub predictor;
    private final List<String> opened = new ArrayList<>();

    @BeforeEach
    void connect() {
        channel = ManagedChannelBuilder.forAddress(root.getHost(), root.getPort()).usePlaintext().build();
        predictor = PredictorServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        // open sessions would make later rollouts wait for them in the batch window
        opened.forEach(id -> predictor.closeSession(CloseSessionRequest.newBuilder().setSessionId(id).build()));
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static ModelBundle bundle() {
        return ModelBundle.read(EncoderServiceResource.bundleDir());
    }

    static Observation wallAt(double x, double y) {
        WallEnvironment wall = new WallEnvironment();
        wall.reset(new double[] {x, y});
        return Observation.of(wall, TestBundles.tinyImageSize());
    }

    private String open(OpenSessionRequest request) {
        OpenSessionResponse response = predictor.openSession(request);
        opened.add(response.getSessionId());
        return response.getSessionId();
    }

    @Test
    void readyOnceItsArtifactIsLoadedAndTheEncoderReachable() {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().when().get("/q/health/ready").then()
                .statusCode(200).body(containsString("\"encoder-reachable\": true"), containsString("\"artifacts-ready\": true")));
    }

    @Test
    void rolloutsThroughTheServicesEqualTheInProcessWorldModelBitForBit() {
        ModelBundle bundle = bundle();
        int actionDim = bundle.manifest().actionDim();
        Observation start = wallAt(20, 40);
        Observation goal = wallAt(45, 15);
        OpenSessionResponse session = predictor.openSession(Requests.open(bundle, bundle, start, goal, 1f));
        opened.add(session.getSessionId());
        assertEquals(1024, session.getMaxCandidates());
        assertEquals(256, session.getHorizonLimit()); // application.properties: room for MPC's divergence rollout
        // where each service computed: the encoder service reports its own, the predictor passes it on
        assertTrue(session.hasEncoderRanOn(), "the encoder service reported where it ran");
        assertEquals(dev.qwm.onnx.runtime.CpuFeatures.current().cpuClass(), session.getEncoderRanOn().getCpuClass());
        assertEquals(dev.qwm.onnx.runtime.CpuFeatures.current().cpuClass(), session.getRanOn().getCpuClass());
        try (OnnxWorldModel model = OnnxWorldModel.open(bundle, SessionConfig.singleThreaded())) {
            Latent s = model.encode(start);
            Latent g = model.encode(goal);
            for (int step = 0; step < 3; step++) {
                ActionBatch actions = Requests.randomActions(step, 300, 5, actionDim);
                RolloutResponse r = predictor.rollout(Requests.rollout(session.getSessionId(), actions, step == 0));
                double[] expected = model.score(s, g, actions, new Objective(1.0));
                assertArrayEquals(expected, r.getLossesList().stream().mapToDouble(Double::doubleValue).toArray(),
                        "CEM step " + step);
                if (step == 0) {
                    Latent[] finals = model.rollout(s, actions);
                    float[] visual = Tensors.floats(r.getFinalVisualLatents(), "latents", 3, "");
                    float[] proprio = Tensors.floats(r.getFinalProprioEmbeddings(), "proprio", 2, "");
                    int n = finals[0].visual().length;
                    int p = finals[0].proprio().length;
                    for (int b = 0; b < finals.length; b++) {
                        assertArrayEquals(finals[b].visual(), Arrays.copyOfRange(visual, b * n, (b + 1) * n));
                        assertArrayEquals(finals[b].proprio(), Arrays.copyOfRange(proprio, b * p, (b + 1) * p));
                    }
                }
            }

            EmbedResponse embedded = predictor.embed(EmbedRequest.newBuilder().setEncoder(Requests.ref(bundle))
                    .setPredictor(Requests.ref(bundle)).setObservation(Requests.observation(goal)).build());
            assertArrayEquals(g.visual(), Tensors.floats(embedded.getVisualLatents(), "visual", 3, ""));
            assertArrayEquals(g.proprio(), Tensors.floats(embedded.getProprioEmbeddings(), "proprio", 2, ""));
        }
    }

    @Test
    void concurrentSessionsAreMergedAndEachGetsItsOwnLosses() throws Exception {
        ModelBundle bundle = bundle();
        int actionDim = bundle.manifest().actionDim();
        Observation[] starts = {wallAt(20, 40), wallAt(50, 30)};
        Observation[] goals = {wallAt(45, 15), wallAt(12, 12)};
        float[] alphas = {1f, 0.5f};
        String[] ids = new String[2];
        // the encoder by sha256 alone: the compatibility check falls back on the latents' shape
        ArtifactRef encoderBySha = ArtifactRef.newBuilder()
                .setSha256(bundle.manifest().components().get(BundleManifest.VISUAL_ENCODER).sha256()).build();
        for (int i = 0; i < 2; i++) {
            ids[i] = open(Requests.open(bundle, bundle, starts[i], goals[i], alphas[i]).toBuilder()
                    .setEncoder(encoderBySha).build());
        }
        double mergedBefore = metric("qwm_predictor_batch_requests_count");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (OnnxWorldModel model = OnnxWorldModel.open(bundle, SessionConfig.singleThreaded())) {
            CyclicBarrier together = new CyclicBarrier(2);
            List<Future<RolloutResponse>> results = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int s = i;
                results.add(pool.submit(() -> {
                    together.await();
                    return predictor.rollout(Requests.rollout(ids[s], Requests.randomActions(50 + s, 300, 5, actionDim),
                            false));
                }));
            }
            for (int i = 0; i < 2; i++) {
                double[] expected = model.score(model.encode(starts[i]), model.encode(goals[i]),
                        Requests.randomActions(50 + i, 300, 5, actionDim), new Objective(alphas[i]));
                RolloutResponse r = results.get(i).get(60, TimeUnit.SECONDS);
                assertArrayEquals(expected, r.getLossesList().stream().mapToDouble(Double::doubleValue).toArray());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, metric("qwm_predictor_batch_requests_count") - mergedBefore,
                "the two calls ran as one predictor batch");
        assertEquals(2, metric("qwm_predictor_batch_requests_max"));
    }

    @Test
    void theGrpcMessageLimitIsTheOneThatAppliesAndAnswersResourceExhausted() {
        ModelBundle bundle = bundle();
        String id = open(Requests.open(bundle, bundle, wallAt(20, 40), wallAt(45, 15), 1f));
        // a deadline of its own: what is asserted is the status, not how fast a loaded machine moves 20 MiB
        var predictor = PredictorServiceGrpc.newBlockingStub(channel).withDeadlineAfter(15, TimeUnit.MINUTES);
        // 12 MiB: above the HTTP server's default body limit, inside the 16 MiB gRPC one. It must reach the service
        // (which names what is wrong with it), not be cut off with a connection reset.
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> predictor.rollout(
                dev.qwm.api.predictor.v1.RolloutRequest.newBuilder().setSessionId(id)
                        .setActions(Tensors.of(new float[1024 * 5 * 600], 1024, 5, 600)).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), String.valueOf(e.getStatus()));
        assertTrue(e.getStatus().getDescription().contains("values per macro action"), e.getStatus().getDescription());
        // 20 MiB: over the gRPC limit, answered as such
        e = assertThrows(StatusRuntimeException.class, () -> predictor.rollout(
                dev.qwm.api.predictor.v1.RolloutRequest.newBuilder().setSessionId(id)
                        .setActions(Tensors.of(new float[1024 * 5 * 1024], 1024, 5, 1024)).build()));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), String.valueOf(e.getStatus()));
        predictor.closeSession(CloseSessionRequest.newBuilder().setSessionId(id).build());
        opened.remove(id); // closed here: the shared stub's deadline may have passed on a loaded machine
    }

    @Test
    void errorsCarryTheirStatusAndSayWhatIsWrong() {
        ModelBundle bundle = bundle();
        int actionDim = bundle.manifest().actionDim();
        OpenSessionRequest request = Requests.open(bundle, bundle, wallAt(20, 40), wallAt(45, 15), 1f);
        String id = open(request);

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> predictor.rollout(
                Requests.rollout(id, Requests.randomActions(1, 10, 5, actionDim + 2), false)));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("takes " + actionDim), e.getStatus().getDescription());

        e = assertThrows(StatusRuntimeException.class, () -> predictor.rollout(
                Requests.rollout(id, Requests.randomActions(1, 2000, 5, actionDim), false)));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("predictor.max-candidates"), e.getStatus().getDescription());

        e = assertThrows(StatusRuntimeException.class, () -> predictor.rollout(
                Requests.rollout("no-such-session", Requests.randomActions(1, 1, 1, actionDim), false)));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());

        // the encoder service refuses an artifact it cannot load: INVALID_ARGUMENT with its reason
        e = assertThrows(StatusRuntimeException.class, () -> predictor.openSession(request.toBuilder()
                .setEncoder(ArtifactRef.newBuilder().setSha256("ab".repeat(32))).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("encoder service refused"), e.getStatus().getDescription());

        predictor.closeSession(CloseSessionRequest.newBuilder().setSessionId(id).build());
        e = assertThrows(StatusRuntimeException.class, () -> predictor.rollout(
                Requests.rollout(id, Requests.randomActions(1, 1, 1, actionDim), false)));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());

        String metrics = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("qwm_predictor_requests_total{rpc=\"Rollout\",status=\"NOT_FOUND\"}"), metrics);
        assertTrue(metrics.contains("qwm_predictor_sessions_active"), metrics);
        // the callers' deadlines (this stub's 60 s) reached the service, on the worker thread of every call
        assertTrue(metric("qwm_predictor_caller_deadline_seconds_count") >= 4, metrics);
        for (String line : metrics.split("\n")) {
            if (line.startsWith("qwm_predictor_caller_deadline_seconds_max{")) {
                double longest = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                assertTrue(longest > 0 && longest <= 60, line);
            }
        }
    }

    /**
     * Time per CEM step (300 candidates x horizon 5) through the services against in-process, on the bundle given by
     * {@code -Dqwm.bench.bundle=FOLDER} (the encoder service loads it on demand); calls alternate so that both see
     * the same machine load. Also checks bit equality on that bundle.
     */
    @Test
    @EnabledIfSystemProperty(named = "qwm.bench.bundle", matches = ".+")
    void benchmarkCemStepThroughTheServicesAgainstInProcess() {
        ModelBundle bundle = ModelBundle.read(java.nio.file.Path.of(System.getProperty("qwm.bench.bundle")));
        int actionDim = bundle.manifest().actionDim();
        int size = bundle.manifest().imageSize();
        WallEnvironment wall = new WallEnvironment();
        wall.reset(new double[] {20, 40});
        Observation start = Observation.of(wall, size);
        wall.reset(new double[] {45, 15});
        Observation goal = Observation.of(wall, size);
        String id = open(Requests.open(bundle, bundle, start, goal, 1f));
        int steps = Integer.getInteger("qwm.bench.steps", 30);
        long[] remote = new long[steps];
        long[] local = new long[steps];
        try (OnnxWorldModel model = OnnxWorldModel.open(bundle, SessionConfig.singleThreaded())) {
            Latent s = model.encode(start);
            Latent g = model.encode(goal);
            for (int i = -5; i < steps; i++) {
                ActionBatch actions = Requests.randomActions(1000 + i, 300, 5, actionDim);
                long t0 = System.nanoTime();
                RolloutResponse r = predictor.rollout(Requests.rollout(id, actions, false));
                long t1 = System.nanoTime();
                double[] expected = model.score(s, g, actions, new Objective(1.0));
                long t2 = System.nanoTime();
                assertArrayEquals(expected, r.getLossesList().stream().mapToDouble(Double::doubleValue).toArray());
                if (i >= 0) {
                    remote[i] = t1 - t0;
                    local[i] = t2 - t1;
                }
            }
        }
        Arrays.sort(remote);
        Arrays.sort(local);
        System.out.printf("CEM step 300x5 on %s: through the services median %.1f ms (p90 %.1f), in-process median"
                        + " %.1f ms (p90 %.1f), ratio %.2f%n", bundle.manifest().name(), remote[steps / 2] / 1e6,
                remote[steps * 9 / 10] / 1e6, local[steps / 2] / 1e6, local[steps * 9 / 10] / 1e6,
                (double) remote[steps / 2] / local[steps / 2]);
    }

    /**
     * How long the service takes to answer one large Rollout message (refused for its action dimension, so what is
     * timed is the transport and the parsing; over the message limit, refused from its header), for
     * {@code -Dqwm.bench.messages=1,5,10,15,20} MiB; 3 calls each, the median printed with the CPU and the answer.
     */
    @Test
    @EnabledIfSystemProperty(named = "qwm.bench.messages", matches = ".+")
    void benchmarkLargeRolloutMessages() {
        ModelBundle bundle = bundle();
        String id = open(Requests.open(bundle, bundle, wallAt(20, 40), wallAt(45, 15), 1f));
        var slow = PredictorServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.MINUTES);
        System.out.printf("large Rollout messages on %s (%s):%n", dev.qwm.onnx.runtime.CpuFeatures.current().model(),
                dev.qwm.onnx.runtime.CpuFeatures.current().cpuClass());
        for (String mib : System.getProperty("qwm.bench.messages").split(",")) {
            int floats = Integer.parseInt(mib.trim()) * 1024 * 1024 / 4;
            int dim = floats / (1024 * 5);
            var request = dev.qwm.api.predictor.v1.RolloutRequest.newBuilder().setSessionId(id)
                    .setActions(Tensors.of(new float[1024 * 5 * dim], 1024, 5, dim)).build();
            long[] nanos = new long[3];
            Status.Code code = null;
            for (int i = 0; i < nanos.length; i++) {
                long t0 = System.nanoTime();
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> slow.rollout(request));
                nanos[i] = System.nanoTime() - t0;
                code = e.getStatus().getCode();
                assertTrue(code == Status.Code.INVALID_ARGUMENT || code == Status.Code.RESOURCE_EXHAUSTED,
                        String.valueOf(e.getStatus()));
            }
            Arrays.sort(nanos);
            System.out.printf("  %5.1f MiB: median %8.1f ms (min %8.1f, max %8.1f), %6.1f MiB/s, %s%n",
                    request.getSerializedSize() / 1048576.0, nanos[1] / 1e6, nanos[0] / 1e6, nanos[2] / 1e6,
                    request.getSerializedSize() / 1048576.0 / (nanos[1] / 1e9), code);
        }
        slow.closeSession(CloseSessionRequest.newBuilder().setSessionId(id).build());
        opened.remove(id); // closed here: the shared stub's deadline may have passed
    }

    /** The value of one Prometheus sample (summed over its label sets). */
    private static double metric(String name) {
        String body = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        double sum = 0;
        boolean found = false;
        for (String line : body.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        return found ? sum : 0;
    }
}
