package dev.qwm.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.infra.EmbeddedInfrastructure;
import dev.qwm.infra.LocalServices;
import dev.qwm.infra.ServiceSpec;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.DataSplit;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.cem.CemPlanner;
import dev.qwm.planning.eval.EpisodeSource;
import dev.qwm.planning.eval.EpisodeSources;
import dev.qwm.planning.mpc.EpisodeResult;
import dev.qwm.planning.mpc.MpcEpisodeRunner;
import dev.qwm.planning.mpc.PlanningListener;
import dev.qwm.planning.onnx.OnnxWorldModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole system for real: Kafka and PostgreSQL, the five services as separate processes on their own ports, two
 * planner workers. A study (the shipped Wall model at FP and with a 4-bit predictor) runs while one planner is
 * killed in the middle of an episode; every episode must be stored exactly once, the killed episode redone by the
 * other worker, and an episode planned through the services must equal the same episode planned in-process.
 */
class StudyThroughServicesIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Path ROOT = Path.of(System.getProperty("qwm.root", "../..")).toAbsolutePath().normalize();
    private static final Path BUNDLE = Path.of(System.getProperty("qwm.it.bundle", ROOT.resolve("models/wall").toString()));

    // A reduced budget so the test takes minutes on two cores; the same budget runs in-process for the comparison.
    private static final PlannerBudget BUDGET = new PlannerBudget(5, 64, 8, 1.0, 4, 3, 1.0, 5);
    private static final int EPISODES = 3;
    // The benchmark runs DINO-WM's Wall CEM step (300 candidates x horizon 5, 10 steps per plan) over two MPC
    // iterations: the step whose cost the issue's 1.25x bound is about, cheap enough for CI.
    private static final PlannerBudget BENCH_BUDGET = PlannerBudget.dinoWm("wall").withMaxIter(2);

    @TempDir
    Path home;

    @Test
    void studySurvivesAKilledPlannerAndMatchesInProcessPlanning() throws Exception {
        assertTrue(Files.exists(BUNDLE.resolve("model.json")), "the shipped bundle " + BUNDLE + " is missing");
        try (EmbeddedInfrastructure infra = EmbeddedInfrastructure.start()) {
            LocalServices services = new LocalServices(ROOT, home);
            LocalServices.StackPorts ports = LocalServices.StackPorts.free(2);
            List<ServiceSpec> specs = LocalServices.stack(infra.bootstrapServers(), infra.jdbcUrl(),
                    home.resolve("artifacts"), List.of(BUNDLE), home.resolve("pusht"), 2, ports);
            try {
                services.up(specs, Duration.ofMinutes(4), System.out::println);
                assertOnlyOnLoopback(ports.quantizer(), ports.encoder(), ports.predictor(), ports.planner(), ports.collector());
                String quantizer = "http://127.0.0.1:" + ports.quantizer();
                String planner = "http://127.0.0.1:" + ports.planner();
                // one planner is killed below; later submissions go to the survivor.
                String collector = "http://127.0.0.1:" + ports.collector();

                // A 4-bit predictor from the quantizer service; the encoder stays FP (independent swapping).
                ObjectNode q = JSON.createObjectNode().put("bundle", BUNDLE.toString()).put("preset", "w4a16-g128")
                        .put("modules", "predictor");
                String job = SystemStack.post(quantizer + "/api/v1/quantizations", q).get("job_id").asText();
                JsonNode done = awaitJob(quantizer, job);
                String quantized = done.get("bundle").asText();

                ObjectNode study = JSON.createObjectNode().put("name", "system-it").put("environment", "wall")
                        .put("episodes", EPISODES);
                var configs = study.putArray("configurations");
                addConfiguration(configs, "fp32", BUNDLE.toString(), BUNDLE.toString(), BUDGET);
                addConfiguration(configs, "predictor-w4a16-g128", BUNDLE.toString(), quantized, BUDGET);
                JsonNode created = SystemStack.post(planner + "/api/v1/studies", study);
                String studyId = created.get("study_id").asText();
                int total = created.get("episodes").asInt();
                assertEquals(2 * EPISODES, total);

                // Kill a planner in the middle of an episode: it logged the attempt's start but not its end, and the
                // collector stored CEM steps of that attempt (a fixed delay was not enough under load: the kill
                // could come before the first step was published, and then nothing showed the episode redone).
                // Whichever planner the group gave the requests' partitions to: one of them may get none.
                long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
                int killed = 0;
                try (Connection c = DriverManager.getConnection(infra.jdbcUrl(), "qwm", "qwm");
                     PreparedStatement steps = c.prepareStatement("SELECT count(*) FROM cem_steps WHERE attempt_id = ?")) {
                    while (killed == 0 && System.nanoTime() < deadline) {
                        for (int n = 1; n <= 2 && killed == 0; n++) {
                            Path log = services.logFile("planner-" + n);
                            String text = Files.exists(log) ? Files.readString(log) : "";
                            int started = count(text, " attempt ");
                            int finished = count(text, " done: success=");
                            java.util.regex.Matcher m = java.util.regex.Pattern.compile("episode \\S+ attempt (\\S+):")
                                    .matcher(text);
                            String attempt = null;
                            while (m.find()) {
                                attempt = m.group(1);
                            }
                            if (started > finished && attempt != null) {
                                steps.setString(1, attempt);
                                try (ResultSet r = steps.executeQuery()) {
                                    r.next();
                                    if (r.getInt(1) > 0) {
                                        services.kill("planner-" + n);
                                        killed = n;
                                    }
                                }
                            }
                        }
                        Thread.sleep(200);
                    }
                }
                assertTrue(killed > 0, "no planner got into an episode (no stored CEM step of an unfinished attempt)");
                String survivingPlanner = "http://127.0.0.1:" + ports.planner(killed == 1 ? 2 : 1);

                JsonNode episodes = awaitEpisodes(collector, studyId, total, Duration.ofMinutes(10));
                Set<Integer> indexes = new HashSet<>();
                for (JsonNode e : episodes) {
                    assertTrue(indexes.add(e.get("episodeId").path("index").asInt(0)), "episode stored twice: " + e);
                }
                assertEquals(total, indexes.size());

                try (Connection c = DriverManager.getConnection(infra.jdbcUrl(), "qwm", "qwm");
                     Statement s = c.createStatement()) {
                    try (ResultSet r = s.executeQuery("SELECT count(*) FROM episodes WHERE study_id = '" + studyId
                            + "' AND attempt_id IS NOT NULL")) {
                        r.next();
                        assertEquals(total, r.getInt(1), "completed episode rows");
                    }
                    try (ResultSet r = s.executeQuery("SELECT count(*) FROM (SELECT episode_index FROM cem_steps"
                            + " WHERE study_id = '" + studyId + "' GROUP BY episode_index"
                            + " HAVING count(DISTINCT attempt_id) > 1) redone")) {
                        r.next();
                        assertTrue(r.getInt(1) >= 1, "the killed worker's episode was not redone by another attempt");
                    }
                }

                // The same episode in-process: identical decisions, so identical outcome.
                JsonNode first = episodes.get(0);
                for (JsonNode e : episodes) {
                    if (e.get("configuration").asText().equals("fp32") && e.get("episodeId").path("index").asInt(0) == 0) {
                        first = e;
                    }
                }
                EpisodeResult local = inProcess(0, first.get("seeding").get("seed").asLong());
                assertEquals(local.success(), first.path("success").asBoolean(false), "success in-process vs services");
                assertEquals(local.mpcIterations(), first.path("mpcIterations").asInt(), "MPC iterations");
                assertEquals((float) local.finalStateDistance(), (float) first.path("finalStateDistance").asDouble(),
                        1e-4f, "final state distance");

                // Cost of a CEM step through the services vs in-process, measured side by side on an idle stack:
                // one more single-episode study (nothing else planning), then the same episode in-process.
                ObjectNode bench = JSON.createObjectNode().put("name", "system-it-bench").put("environment", "wall")
                        .put("episodes", 1);
                addConfiguration(bench.putArray("configurations"), "fp32", BUNDLE.toString(), BUNDLE.toString(),
                        BENCH_BUDGET);
                String predictorMetrics = "http://127.0.0.1:" + ports.predictor() + "/q/metrics";
                double[] before = rolloutSeconds(predictorMetrics);
                JsonNode benchStudy = SystemStack.post(survivingPlanner + "/api/v1/studies", bench);
                JsonNode timed = awaitEpisodes(collector, benchStudy.get("study_id").asText(), 1, Duration.ofMinutes(5)).get(0);
                double[] after = rolloutSeconds(predictorMetrics);
                EpisodeResult localTimed = inProcess(0, timed.get("seeding").get("seed").asLong(), BENCH_BUDGET);
                double serviceMs = timed.path("meanCemStepMs").asDouble();
                System.out.printf(Locale.ROOT, "benchmark, CEM step (%d candidates x horizon %d, %s): in-process %.1f ms,"
                        + " through the services %.1f ms, ratio %.2f (vector features: %s)%n", BENCH_BUDGET.samples(),
                        BENCH_BUDGET.horizon(), BUNDLE.getFileName(), localTimed.meanCemStepMs(), serviceMs,
                        serviceMs / localTimed.meanCemStepMs(), cpuFeatures());
                // Where the difference goes: the predictor's own time in its gRPC handler and in predictor batches
                // (ONNX Runtime and the objective) during the benchmark episode, per 300 candidates. The calls include
                // MPC's one-candidate rollouts of the executed plan, so this is a per-candidate average.
                double candidates = after[4] - before[4];
                double per300 = BENCH_BUDGET.samples() / candidates * 1000;
                System.out.printf(Locale.ROOT, "benchmark, inside the predictor service: %.0f Rollout calls, %.0f"
                                + " candidates; per %d candidates %.1f ms in its gRPC handler, %.1f ms in predictor"
                                + " batches%n", after[1] - before[1], candidates, BENCH_BUDGET.samples(),
                        (after[0] - before[0]) * per300, (after[2] - before[2]) * per300);
            } finally {
                services.down(List.of(), System.out::println);
            }
        }
    }

    private static EpisodeResult inProcess(int index, long seed) {
        return inProcess(index, seed, BUDGET);
    }

    private static EpisodeResult inProcess(int index, long seed, PlannerBudget budget) {
        EpisodeSource source = EpisodeSources.wall();
        try (OnnxWorldModel model = OnnxWorldModel.open(ModelBundle.read(BUNDLE), SessionConfig.singleThreaded())) {
            MpcEpisodeRunner runner = new MpcEpisodeRunner(model, new CemPlanner(), budget, source::newEnvironment, true);
            return runner.run(source.episode(index, seed, DataSplit.VALIDATION), 0, PlanningListener.NONE);
        }
    }

    private static String cpuFeatures() {
        try {
            String info = Files.readString(Path.of("/proc/cpuinfo"));
            return java.util.stream.Stream.of("avx2", "avx512f", "avx512_vnni")
                    .filter(f -> info.matches("(?s).*\\b" + f + "\\b.*")).toList().toString();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private static void addConfiguration(com.fasterxml.jackson.databind.node.ArrayNode configs, String label,
                                         String encoder, String predictor, PlannerBudget budget) {
        ObjectNode c = configs.addObject().put("label", label);
        c.putObject("encoder").put("bundle", encoder);
        c.putObject("predictor").put("bundle", predictor);
        c.putObject("budget").put("horizon", budget.horizon()).put("samples", budget.samples())
                .put("top_k", budget.topK()).put("var_scale", budget.varScale()).put("opt_steps", budget.optSteps())
                .put("max_iter", budget.maxIter()).put("objective_alpha", budget.objectiveAlpha())
                .put("executed_actions", budget.executedActions());
    }

    private static JsonNode awaitJob(String quantizer, String job) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode s = get(quantizer + "/api/v1/quantizations/" + job);
            String state = s.path("state").asText();
            if (state.contains("SUCCEEDED")) {
                return s;
            }
            assertTrue(!state.contains("FAILED"), "quantization failed: " + s);
            Thread.sleep(500);
        }
        throw new AssertionError("quantization job " + job + " did not finish");
    }

    private static JsonNode awaitEpisodes(String collector, String studyId, int total, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode episodes = JSON.createArrayNode();
        while (System.nanoTime() < deadline) {
            try {
                episodes = get(collector + "/api/v1/studies/" + studyId + "/episodes").path("episodes");
                if (episodes.size() >= total) {
                    return episodes;
                }
            } catch (AssertionError notYetKnown) {
                // the study's submission may not be stored yet
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("only " + episodes.size() + " of " + total + " episodes stored after " + timeout);
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    /**
     * From the predictor's Prometheus page: seconds and count of Rollout calls (qwm_predictor_rpc_seconds, rpc =
     * Rollout) and of predictor batches (qwm_predictor_batch_inference_seconds, every artifact), and the candidates
     * those batches held (qwm_predictor_batch_candidates_sum).
     */
    private static double[] rolloutSeconds(String metricsUrl) throws Exception {
        String page = HTTP.send(HttpRequest.newBuilder(URI.create(metricsUrl)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double[] out = new double[5];
        for (String line : page.split("\n")) {
            if (line.startsWith("#") || !line.contains(" ")) {
                continue;
            }
            double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            boolean rollout = line.contains("rpc=\"Rollout\"");
            if (rollout && line.startsWith("qwm_predictor_rpc_seconds_sum")) {
                out[0] += value;
            } else if (rollout && line.startsWith("qwm_predictor_rpc_seconds_count")) {
                out[1] += value;
            } else if (line.startsWith("qwm_predictor_batch_inference_seconds_sum")) {
                out[2] += value;
            } else if (line.startsWith("qwm_predictor_batch_inference_seconds_count")) {
                out[3] += value;
            } else if (line.startsWith("qwm_predictor_batch_candidates_sum")) {
                out[4] += value;
            }
        }
        return out;
    }

    private static JsonNode get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 400) {
            throw new AssertionError("GET " + url + " -> " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** The local stack has no authentication: its services must not be reachable on this machine's other addresses. */
    private static void assertOnlyOnLoopback(int... ports) throws Exception {
        List<java.net.InetAddress> external = new java.util.ArrayList<>();
        for (var nic : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
            if (nic.isUp() && !nic.isLoopback()) {
                nic.getInterfaceAddresses().stream().map(java.net.InterfaceAddress::getAddress)
                        .filter(a -> a instanceof java.net.Inet4Address).forEach(external::add);
            }
        }
        for (int port : ports) {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 2000); // it is up
            }
            for (java.net.InetAddress a : external) {
                try (java.net.Socket s = new java.net.Socket()) {
                    s.connect(new java.net.InetSocketAddress(a, port), 2000);
                    throw new AssertionError("port " + port + " answers on " + a.getHostAddress() + ", not only on 127.0.0.1");
                } catch (java.io.IOException refused) {
                    // expected: nothing listens there
                }
            }
        }
    }
}
