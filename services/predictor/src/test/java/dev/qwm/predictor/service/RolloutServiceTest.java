package dev.qwm.predictor.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.DataType;
import dev.qwm.api.common.v1.Tensor;
import dev.qwm.api.predictor.v1.EmbedRequest;
import dev.qwm.api.predictor.v1.EmbedResponse;
import dev.qwm.api.predictor.v1.OpenSessionRequest;
import dev.qwm.api.predictor.v1.RolloutRequest;
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
import dev.qwm.predictor.InProcessLatents;
import dev.qwm.predictor.Requests;
import dev.qwm.predictor.TestConfig;
import dev.qwm.predictor.inference.PredictorArtifacts;
import dev.qwm.predictor.mapping.Tensors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session, batching and validation logic with real predictor artifacts (the planning module's tiny bundle in
 * ONNX Runtime) and real encoders run in this process; every loss is compared bit for bit with the in-process
 * world model.
 */
class RolloutServiceTest {

    static final int HORIZON = 5;

    @TempDir
    static Path dir;
    static ModelBundle bundle;
    static ModelBundle otherBundle;
    static ModelBundle pushtBundle;
    static OnnxWorldModel inProcess;
    static int actionDim;

    @BeforeAll
    static void bundles() {
        bundle = TestBundles.tinyWall(dir.resolve("tiny-h3"), 3, 11);
        otherBundle = TestBundles.tinyWall(dir.resolve("tiny-h1"), 1, 12);
        BundleManifest m = bundle.manifest();
        BundleManifest pusht = new BundleManifest(m.format(), "tiny-pusht", "pusht", m.imageSize(), m.frameStyle(), m.patchSize(),
                m.numPatches(), m.latentDim(), m.proprioDim(), m.proprioEmbDim(), m.actionDim(), m.actionEmbDim(),
                m.numHist(), m.frameskip(), m.actionMean(), m.actionStd(), m.proprioMean(), m.proprioStd(), null, null);
        ModelBundle.Writer writer = ModelBundle.writer(pusht);
        m.components().keySet().forEach(c -> writer.component(c, bundle.componentPath(c)));
        pushtBundle = writer.write(dir.resolve("tiny-pusht"));
        inProcess = OnnxWorldModel.open(bundle, SessionConfig.singleThreaded());
        actionDim = m.actionDim();
    }

    @AfterAll
    static void close() {
        inProcess.close();
    }

    /** The service with real artifacts, an in-process encoder and a clock the test moves. */
    static final class Fixture implements AutoCloseable {
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final AtomicLong clock = new AtomicLong();
        final RolloutSessions sessions;
        final PredictorArtifacts artifacts;
        final InProcessLatents latents = new InProcessLatents();
        final RolloutService service;

        Fixture(TestConfig config) {
            sessions = new RolloutSessions(config.maxSessions(), clock::get, registry, false);
            artifacts = new PredictorArtifacts(config, registry, sessions);
            service = new RolloutService(config, artifacts, sessions, latents, registry);
        }

        DistributionSummary batchRequests() {
            return registry.find("qwm.predictor.batch.requests").summary();
        }

        @Override
        public void close() {
            artifacts.closeAll();
            latents.close();
        }
    }

    static Observation wallAt(double x, double y) {
        WallEnvironment wall = new WallEnvironment();
        wall.reset(new double[] {x, y});
        return Observation.of(wall, TestBundles.tinyImageSize());
    }

    static double[] inProcessScores(Observation start, Observation goal, ActionBatch actions, double alpha) {
        Latent s = inProcess.encode(start);
        Latent g = inProcess.encode(goal);
        return inProcess.score(s, g, actions, new Objective(alpha));
    }

    static double[] exact(RolloutResponse r) {
        return r.getLossesList().stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Test
    void aSessionScoresBitForBitAsTheInProcessWorldModel() {
        try (Fixture f = new Fixture(TestConfig.defaults())) {
            Observation start = wallAt(20, 40);
            Observation goal = wallAt(45, 15);
            dev.qwm.api.predictor.v1.OpenSessionResponse opened = f.service.openSession(Requests.open(bundle, bundle, start, goal, 1f));
            String id = opened.getSessionId();
            // where the rollouts are computed, for the episode events
            assertEquals(dev.qwm.onnx.runtime.CpuFeatures.current().cpuClass(), opened.getRanOn().getCpuClass());
            assertEquals("cpu", opened.getRanOn().getExecutionProvider());
            assertTrue(opened.getRanOn().getOnnxRuntime().startsWith("1.29"), opened.getRanOn().getOnnxRuntime());
            assertTrue(opened.getRanOn().getThreads() >= 1);
            // what a candidate's step costs, for the caller's deadlines: the graph's count, averaged over the limit
            int limit = TestConfig.defaults().maxHorizon();
            double perStep = dev.qwm.planning.onnx.CemStepCost.of(bundle, 1, limit).gflop() / limit;
            assertTrue(perStep > 0);
            assertEquals(perStep, opened.getGflopPerCandidateStep(), 1e-12);
            // and where the encoder computed the start and goal latents, as it reported it
            assertEquals(dev.qwm.onnx.runtime.CpuFeatures.current().cpuClass(), opened.getEncoderRanOn().getCpuClass());
            assertTrue(opened.getEncoderRanOn().getOnnxRuntime().startsWith("1.29"));
            assertEquals(1, f.latents.calls, "start and goal are encoded in one call");
            for (int step = 0; step < 3; step++) {
                ActionBatch actions = Requests.randomActions(step, 300, HORIZON, actionDim);
                RolloutResponse r = f.service.rollout(Requests.rollout(id, actions, true));
                double[] expected = inProcessScores(start, goal, actions, 1.0);
                assertArrayEquals(expected, exact(r), "CEM step " + step);
                Latent[] finals = inProcess.rollout(inProcess.encode(start), actions);
                float[] visual = Tensors.floats(r.getFinalVisualLatents(), "final", 3, "");
                float[] proprio = Tensors.floats(r.getFinalProprioEmbeddings(), "final", 2, "");
                int n = finals[0].visual().length;
                int p = finals[0].proprio().length;
                assertEquals(List.of(300L, (long) bundle.manifest().numPatches(), (long) bundle.manifest().latentDim()),
                        r.getFinalVisualLatents().getShapeList());
                for (int b = 0; b < 300; b++) {
                    assertArrayEquals(finals[b].visual(), java.util.Arrays.copyOfRange(visual, b * n, (b + 1) * n));
                    assertArrayEquals(finals[b].proprio(), java.util.Arrays.copyOfRange(proprio, b * p, (b + 1) * p));
                }
            }
            RolloutResponse withoutLatents = f.service.rollout(
                    Requests.rollout(id, Requests.randomActions(9, 4, HORIZON, actionDim), false));
            assertEquals(4, withoutLatents.getLossesCount());
            assertTrue(!withoutLatents.hasFinalVisualLatents() && !withoutLatents.hasFinalProprioEmbeddings());

            assertTrue(f.service.closeSession(id));
            StatusRuntimeException closed = assertThrows(StatusRuntimeException.class,
                    () -> f.service.rollout(Requests.rollout(id, Requests.randomActions(1, 1, 1, actionDim), false)));
            assertEquals(Status.Code.NOT_FOUND, closed.getStatus().getCode());
        }
    }

    @Test
    void embedGivesTheInProcessLatents() {
        try (Fixture f = new Fixture(TestConfig.defaults())) {
            Observation a = wallAt(20, 40);
            Observation b = wallAt(30, 10);
            byte[] images = new byte[a.image().length * 2];
            System.arraycopy(a.image(), 0, images, 0, a.image().length);
            System.arraycopy(b.image(), 0, images, a.image().length, b.image().length);
            float[] proprio = {(float) a.proprio()[0], (float) a.proprio()[1], (float) b.proprio()[0], (float) b.proprio()[1]};
            EmbedResponse r = f.service.embed(EmbedRequest.newBuilder().setEncoder(Requests.ref(bundle))
                    .setPredictor(Requests.ref(bundle))
                    .setObservation(dev.qwm.api.predictor.v1.Observation.newBuilder()
                            .setImages(Requests.images(images, 2, TestBundles.tinyImageSize()))
                            .setProprio(Tensors.of(proprio, 2, 2)))
                    .build());
            float[] visual = Tensors.floats(r.getVisualLatents(), "visual", 3, "");
            float[] emb = Tensors.floats(r.getProprioEmbeddings(), "proprio", 2, "");
            int n = visual.length / 2;
            int p = emb.length / 2;
            Latent la = inProcess.encode(a);
            Latent lb = inProcess.encode(b);
            assertArrayEquals(la.visual(), java.util.Arrays.copyOfRange(visual, 0, n));
            assertArrayEquals(lb.visual(), java.util.Arrays.copyOfRange(visual, n, 2 * n));
            assertArrayEquals(la.proprio(), java.util.Arrays.copyOfRange(emb, 0, p));
            assertArrayEquals(lb.proprio(), java.util.Arrays.copyOfRange(emb, p, 2 * p));
        }
    }

    @Test
    void concurrentSessionsMergeIntoOnePredictorBatchEachScoredAgainstItsOwnGoal() throws Exception {
        // a long window: the batch closes as soon as all three open sessions are in it, not after the window
        try (Fixture f = new Fixture(TestConfig.defaults().withBatching(Duration.ofSeconds(20), 1200))) {
            Observation[] starts = {wallAt(20, 40), wallAt(25, 12), wallAt(50, 30)};
            Observation[] goals = {wallAt(45, 15), wallAt(10, 10), wallAt(33, 33)};
            float[] alphas = {1f, 0f, 0.25f};
            int[] candidates = {300, 7, 120};
            String[] ids = new String[3];
            for (int i = 0; i < 3; i++) {
                ids[i] = f.service.openSession(Requests.open(bundle, bundle, starts[i], goals[i], alphas[i])).getSessionId();
            }
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                CyclicBarrier together = new CyclicBarrier(3);
                List<Future<RolloutResponse>> results = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    int s = i;
                    results.add(pool.submit(() -> {
                        together.await();
                        return f.service.rollout(Requests.rollout(ids[s],
                                Requests.randomActions(100 + s, candidates[s], HORIZON, actionDim), false));
                    }));
                }
                for (int i = 0; i < 3; i++) {
                    RolloutResponse r = results.get(i).get(60, TimeUnit.SECONDS);
                    double[] expected = inProcessScores(starts[i], goals[i],
                            Requests.randomActions(100 + i, candidates[i], HORIZON, actionDim), alphas[i]);
                    assertArrayEquals(expected, exact(r), "session " + i);
                }
            } finally {
                pool.shutdownNow();
            }
            DistributionSummary merged = f.batchRequests();
            assertEquals(1, merged.count(), "one predictor batch for the three calls");
            assertEquals(3, merged.max());
            assertEquals(427, f.registry.find("qwm.predictor.batch.candidates").summary().max());
            assertTrue(f.registry.find("qwm.predictor.batch.queue").timer().max(TimeUnit.SECONDS) < 10,
                    "the batch did not wait for the whole window");
        }
    }

    /**
     * The same on a real bundle ({@code -Dqwm.bench.bundle=FOLDER}, e.g. models/wall): attention and layer norms
     * over a merged batch must also leave every candidate's bits unchanged.
     */
    @Test
    @EnabledIfSystemProperty(named = "qwm.bench.bundle", matches = ".+")
    void mergedBatchesOfARealBundleAreBitIdenticalToLoneRollouts() throws Exception {
        ModelBundle real = ModelBundle.read(Path.of(System.getProperty("qwm.bench.bundle")));
        int size = real.manifest().imageSize();
        int dim = real.manifest().actionDim();
        try (Fixture f = new Fixture(TestConfig.defaults().withBatching(Duration.ofSeconds(20), 1200));
             OnnxWorldModel model = OnnxWorldModel.open(real, SessionConfig.singleThreaded())) {
            Observation[] starts = new Observation[3];
            Observation[] goals = new Observation[3];
            String[] ids = new String[3];
            for (int i = 0; i < 3; i++) {
                WallEnvironment wall = new WallEnvironment();
                wall.reset(new double[] {15 + 12 * i, 40 - 10 * i});
                starts[i] = Observation.of(wall, size);
                wall.reset(new double[] {50 - 9 * i, 10 + 7 * i});
                goals[i] = Observation.of(wall, size);
                ids[i] = f.service.openSession(Requests.open(real, real, starts[i], goals[i], 1f)).getSessionId();
            }
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                CyclicBarrier together = new CyclicBarrier(3);
                List<Future<RolloutResponse>> results = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    int s = i;
                    results.add(pool.submit(() -> {
                        together.await();
                        return f.service.rollout(Requests.rollout(ids[s], Requests.randomActions(s, 300, HORIZON, dim), false));
                    }));
                }
                for (int i = 0; i < 3; i++) {
                    double[] expected = model.score(model.encode(starts[i]), model.encode(goals[i]),
                            Requests.randomActions(i, 300, HORIZON, dim), new Objective(1));
                    assertArrayEquals(expected, exact(results.get(i).get(120, TimeUnit.SECONDS)), "session " + i);
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(3, f.batchRequests().max(), "the three calls ran as one batch");
        }
    }

    @Test
    void callsOfDifferentHorizonsOrBeyondTheBatchLimitAreNotMerged() throws Exception {
        try (Fixture f = new Fixture(TestConfig.defaults().withBatching(Duration.ofMillis(300), 400))) {
            Observation start = wallAt(20, 40);
            Observation goal = wallAt(45, 15);
            String[] ids = new String[3];
            for (int i = 0; i < 3; i++) {
                ids[i] = f.service.openSession(Requests.open(bundle, bundle, start, goal, 1f)).getSessionId();
            }
            ActionBatch[] actions = {Requests.randomActions(1, 300, 5, actionDim),
                    Requests.randomActions(2, 300, 3, actionDim), Requests.randomActions(3, 300, 5, actionDim)};
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                CyclicBarrier together = new CyclicBarrier(3);
                List<Future<RolloutResponse>> results = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    int s = i;
                    results.add(pool.submit(() -> {
                        together.await();
                        return f.service.rollout(Requests.rollout(ids[s], actions[s], false));
                    }));
                }
                for (int i = 0; i < 3; i++) {
                    assertArrayEquals(inProcessScores(start, goal, actions[i], 1.0),
                            exact(results.get(i).get(60, TimeUnit.SECONDS)));
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(3, f.batchRequests().count(), "horizons 5 and 3 never merge, and 300 + 300 > 400");
            assertEquals(1, f.batchRequests().max());
        }
    }

    @Test
    void aLoneSessionDoesNotWaitForTheBatchWindow() {
        try (Fixture f = new Fixture(TestConfig.defaults().withBatching(Duration.ofSeconds(30), 1200))) {
            String id = f.service.openSession(Requests.open(bundle, bundle, wallAt(20, 40), wallAt(45, 15), 1f))
                    .getSessionId();
            long t0 = System.nanoTime();
            f.service.rollout(Requests.rollout(id, Requests.randomActions(1, 300, HORIZON, actionDim), false));
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10), "waited for a window nobody could join");
        }
    }

    @Test
    void sessionsExpireWhenIdleLongerThanTheirTtl() {
        try (Fixture f = new Fixture(TestConfig.defaults())) {
            OpenSessionRequest open = Requests.open(bundle, bundle, wallAt(20, 40), wallAt(45, 15), 1f);
            String shortLived = f.service.openSession(open.toBuilder().setTtlSeconds(5).build()).getSessionId();
            String byDefault = f.service.openSession(open).getSessionId();
            RolloutRequest step = Requests.rollout(shortLived, Requests.randomActions(1, 2, 1, actionDim), false);

            f.clock.addAndGet(TimeUnit.SECONDS.toNanos(4));
            f.service.rollout(step); // used: idle time starts again
            f.clock.addAndGet(TimeUnit.SECONDS.toNanos(4));
            f.service.rollout(step);
            f.clock.addAndGet(TimeUnit.SECONDS.toNanos(6));
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> f.service.rollout(step));
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("expired"), e.getStatus().getDescription());

            // the default ttl is 10 minutes of idleness; the sweep drops expired sessions nobody asks for
            assertEquals(1, f.sessions.size());
            f.clock.addAndGet(TimeUnit.MINUTES.toNanos(9));
            f.sessions.sweep();
            assertEquals(1, f.sessions.size());
            f.clock.addAndGet(TimeUnit.MINUTES.toNanos(2));
            f.sessions.sweep();
            assertEquals(0, f.sessions.size());
            assertThrows(StatusRuntimeException.class, () -> f.service.rollout(step.toBuilder().setSessionId(byDefault).build()));
        }
    }

    @Test
    void theSessionLimitIsEnforced() {
        try (Fixture f = new Fixture(TestConfig.defaults().withMaxSessions(2))) {
            OpenSessionRequest open = Requests.open(bundle, bundle, wallAt(20, 40), wallAt(45, 15), 1f);
            String first = f.service.openSession(open).getSessionId();
            f.service.openSession(open);
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> f.service.openSession(open));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("predictor.max-sessions"), e.getStatus().getDescription());
            f.service.closeSession(first);
            f.service.openSession(open);
            // an expired session frees its slot
            f.clock.addAndGet(TimeUnit.MINUTES.toNanos(11));
            f.service.openSession(open);
        }
    }

    @Test
    void anEvictedArtifactIsReloadedForItsSessions() {
        try (Fixture f = new Fixture(TestConfig.defaults().withMaxLoaded(1))) {
            Observation start = wallAt(20, 40);
            Observation goal = wallAt(45, 15);
            dev.qwm.api.predictor.v1.OpenSessionResponse opened = f.service.openSession(Requests.open(bundle, bundle, start, goal, 1f));
            String id = opened.getSessionId();
            f.service.openSession(Requests.open(otherBundle, otherBundle, start, goal, 1f));
            assertEquals(1, f.artifacts.loaded().size());
            assertNotEquals(bundle.directory().toString(), f.artifacts.loaded().get(0).bundle());
            ActionBatch actions = Requests.randomActions(4, 50, HORIZON, actionDim);
            assertArrayEquals(inProcessScores(start, goal, actions, 1.0),
                    exact(f.service.rollout(Requests.rollout(id, actions, false))));
            assertEquals(bundle.directory().toString(), f.artifacts.loaded().get(0).bundle());
        }
    }

    @Test
    void sessionsOnMoreArtifactsThanFitKeepGettingCorrectLosses() throws Exception {
        // two artifacts, room for one: every rollout may find its artifact evicted and reload it
        try (Fixture f = new Fixture(TestConfig.defaults().withMaxLoaded(1));
             OnnxWorldModel other = OnnxWorldModel.open(otherBundle, SessionConfig.singleThreaded())) {
            Observation start = wallAt(20, 40);
            Observation goal = wallAt(45, 15);
            ModelBundle[] bundles = {bundle, otherBundle};
            OnnxWorldModel[] models = {inProcess, other};
            String[] ids = new String[2];
            for (int i = 0; i < 2; i++) {
                ids[i] = f.service.openSession(Requests.open(bundles[i], bundles[i], start, goal, 1f)).getSessionId();
            }
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    int s = i;
                    done.add(pool.submit(() -> {
                        for (int step = 0; step < 4; step++) {
                            ActionBatch actions = Requests.randomActions(10 * s + step, 40, 3, actionDim);
                            double[] expected = models[s].score(models[s].encode(start), models[s].encode(goal),
                                    actions, new Objective(1));
                            assertArrayEquals(expected, exact(f.service.rollout(Requests.rollout(ids[s], actions, false))));
                        }
                        return null;
                    }));
                }
                for (Future<?> d : done) {
                    d.get(120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1, f.artifacts.loaded().size());
        }
    }

    @Test
    void candidatesTimesHorizonIsBoundedAsAWhole() {
        try (Fixture f = new Fixture(TestConfig.defaults().withMaxCandidateSteps(64))) {
            String id = f.service.openSession(Requests.open(bundle, bundle, wallAt(20, 40), wallAt(45, 15), 1f)).getSessionId();
            // 32 candidates and horizon 4 are each within their own limits; together they are 128 candidate steps
            refused(() -> f.service.rollout(Requests.rollout(id, Requests.randomActions(1, 32, 4, actionDim), false)),
                    "32 candidates x horizon 4 = 128 candidate steps", "at most 64", "predictor.max-candidate-steps");
            assertEquals(16, f.service.rollout(Requests.rollout(id, Requests.randomActions(1, 16, 4, actionDim), false))
                    .getLossesCount());
        }
    }

    @Test
    void badRequestsAreRefusedNamingTheProblem() {
        try (Fixture f = new Fixture(TestConfig.defaults())) {
            Observation start = wallAt(20, 40);
            Observation goal = wallAt(45, 15);
            OpenSessionRequest open = Requests.open(bundle, bundle, start, goal, 1f);
            String id = f.service.openSession(open).getSessionId();
            ActionBatch ok = Requests.randomActions(1, 3, 2, actionDim);

            refused(() -> f.service.rollout(Requests.rollout(id, Requests.randomActions(1, 3, 2, actionDim - 1), false)),
                    "takes " + actionDim);
            refused(() -> f.service.rollout(Requests.rollout(id, Requests.randomActions(1, 1025, 1, actionDim), false)),
                    "1025 candidates", "predictor.max-candidates");
            refused(() -> f.service.rollout(Requests.rollout(id, Requests.randomActions(1, 1, 17, actionDim), false)),
                    "horizon 17", "predictor.max-horizon");
            Tensor flat = Tensors.of(ok.data(), 3, 2 * actionDim);
            refused(() -> f.service.rollout(RolloutRequest.newBuilder().setSessionId(id).setActions(flat).build()),
                    "[candidates, horizon, " + actionDim + "]", "[3, " + 2 * actionDim + "]");
            Tensor bytes = Tensor.newBuilder().setDataType(DataType.DATA_TYPE_UINT8).addShape(3).addShape(2)
                    .addShape(actionDim).setData(Tensors.of(ok.data(), 3, 2, actionDim).getData()).build();
            refused(() -> f.service.rollout(RolloutRequest.newBuilder().setSessionId(id).setActions(bytes).build()),
                    "float32", "uint8");
            Tensor truncated = Tensors.of(ok.data(), 3, 2, actionDim).toBuilder()
                    .setData(Tensors.of(ok.data(), 3, 2, actionDim).getData().substring(4)).build();
            refused(() -> f.service.rollout(RolloutRequest.newBuilder().setSessionId(id).setActions(truncated).build()),
                    "needs 240 bytes");
            float[] nan = ok.data().clone();
            nan[actionDim + 3] = Float.NaN;
            refused(() -> f.service.rollout(Requests.rollout(id, new ActionBatch(3, 2, actionDim, nan), false)),
                    "actions[0, 1, 3] is NaN");
            StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
                    () -> f.service.rollout(Requests.rollout("no-such-session", ok, false)));
            assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());

            OpenSessionRequest.Builder twoFrames = open.toBuilder();
            twoFrames.getStartBuilder().setImages(Requests.images(concat(start.image(), start.image()), 2, 16))
                    .setProprio(Tensors.of(new float[4], 2, 2));
            refused(() -> f.service.openSession(twoFrames.build()), "start has 2 frames", "exactly 1");
            OpenSessionRequest.Builder big = open.toBuilder();
            big.getGoalBuilder().setImages(Requests.images(new byte[32 * 32 * 3], 1, 32));
            refused(() -> f.service.openSession(big.build()), "goal.images", "[frames, 16, 16, 3]");
            OpenSessionRequest.Builder proprio = open.toBuilder();
            proprio.getStartBuilder().setProprio(Tensors.of(new float[3], 1, 3));
            refused(() -> f.service.openSession(proprio.build()), "start.proprio", "[1, 2]");
            OpenSessionRequest.Builder noGoal = open.toBuilder().clearGoal();
            refused(() -> f.service.openSession(noGoal.build()), "goal.images", "got none");
            refused(() -> f.service.openSession(open.toBuilder().setObjectiveAlpha(-1).build()), "alpha");
            refused(() -> f.service.openSession(open.toBuilder().setTtlSeconds(-5).build()), "ttl_seconds");
            refused(() -> f.service.openSession(open.toBuilder().setTtlSeconds(7200).build()), "predictor.max-session-ttl");
            refused(() -> f.service.openSession(open.toBuilder().clearEncoder().build()), "names no encoder");
            refused(() -> f.service.openSession(open.toBuilder().setPredictor(
                    ArtifactRef.newBuilder().setSha256("ab".repeat(32))).build()), "not loaded here");
            refused(() -> f.service.openSession(open.toBuilder().setPredictor(
                    ArtifactRef.newBuilder().setBundle(dir.resolve("missing").toString())).build()),
                    "cannot load predictor", "missing");
            refused(() -> f.service.openSession(open.toBuilder().setPredictor(Requests.ref(bundle).toBuilder()
                    .setSha256("cd".repeat(32))).build()), "not the requested");
            refused(() -> f.service.openSession(open.toBuilder().setEncoder(Requests.ref(pushtBundle)).build()),
                    "cannot feed", "environment pusht vs wall");
            assertEquals(1, f.sessions.size(), "no refused request opened a session");
            // Embed checks its references as OpenSession does
            EmbedRequest embed = EmbedRequest.newBuilder().setEncoder(Requests.ref(bundle)).setPredictor(Requests.ref(bundle))
                    .setObservation(open.getStart()).build();
            refused(() -> f.service.embed(embed.toBuilder().clearEncoder().build()), "names no encoder");
            refused(() -> f.service.embed(embed.toBuilder().clearPredictor().build()), "names no predictor");
            refused(() -> f.service.embed(embed.toBuilder().setEncoder(Requests.ref(pushtBundle)).build()),
                    "cannot feed", "environment pusht vs wall");
        }
    }

    private static void refused(Runnable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention '" + fragment + "'");
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
