package dev.qwm.analysis.data;

import dev.qwm.planning.PlannerBudget;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.qwm.analysis.SyntheticStudy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP reader against a loopback server that answers the collector's routes with the collector's JSON: canonical
 * proto3 (lowerCamelCase, int64 as strings, enums by name, NaN as a string, unset messages absent).
 */
class CollectorStudyDataTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private HttpServer server;
    private String url;
    private static final StudySnapshot study = SyntheticStudy.small();
    private final AtomicInteger traceRequests = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v1/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            int status = 200;
            String body;
            if (path.equals("/api/v1/studies")) {
                body = "{\"studies\":[" + summary(study.study()) + "]}";
            } else if (path.equals("/api/v1/studies/small")) {
                body = "{\"summary\":" + summary(study.study()) + ",\"specJson\":" + JSON.writeValueAsString(study.study().specJson()) + "}";
            } else if (path.equals("/api/v1/studies/small/episodes")) {
                ArrayNode episodes = JSON.createArrayNode();
                study.episodes().forEach(e -> episodes.add(episode(e)));
                body = "{\"episodes\":" + episodes + "}";
            } else if (path.startsWith("/api/v1/episodes/small/")) {
                traceRequests.incrementAndGet();
                int index = Integer.parseInt(path.split("/")[5]);
                EpisodeTrace t = study.traces().get(index);
                if (t == null || index == 0) { // episode 0: as if no progress was ever stored
                    status = 404;
                    body = "{\"error\":\"nothing stored for episode small/" + index + "\"}";
                } else {
                    body = trace(t).toString();
                }
            } else if (path.equals("/api/v1/artifacts")) {
                ArrayNode artifacts = JSON.createArrayNode();
                study.artifacts().forEach(a -> artifacts.add(artifact(a)));
                body = "{\"artifacts\":" + artifacts + "}";
            } else if (path.equals("/api/v1/studies/failing")) {
                body = "{\"summary\":{\"studyId\":{\"value\":\"failing\"},\"episodeCount\":4,\"completedCount\":2,"
                        + "\"failedCount\":2},\"failures\":[{\"configuration\":\"fp\",\"reason\":\"seed is negative\"},"
                        + "{\"episodeIndex\":3,\"configuration\":\"w4\",\"reason\":\"horizon 300 exceeds 256\"}]}";
            } else if (path.startsWith("/api/v1/studies/")) {
                status = 404;
                body = "{\"error\":\"no study " + path.substring("/api/v1/studies/".length()) + "\"}";
            } else {
                status = 500;
                body = "{\"error\":\"boom\"}";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void readsEverythingTheCollectorServes() {
        List<int[]> progress = new ArrayList<>();
        CollectorStudyData data = new CollectorStudyData(url + "/", "small", Duration.ofSeconds(10),
                new CollectorStudyData.FetchProgress() {
                    @Override
                    public void started(int traces) {
                        progress.add(new int[]{traces});
                    }

                    @Override
                    public void fetched(int done) {
                        progress.add(new int[]{-done});
                    }
                });
        assertEquals(study.study(), data.study());
        assertEquals(study.episodes(), data.episodes());
        assertEquals(study.artifacts(), data.artifacts());
        var traces = data.traces();
        assertEquals(study.traces().size() - 1, traces.size(), "episode 0 has no stored trace");
        for (var e : traces.entrySet()) {
            assertEquals(study.traces().get(e.getKey()), e.getValue());
        }
        assertEquals(study.episodes().size(), progress.get(0)[0]);
        assertEquals(study.episodes().size() + 1, progress.size());
        data.traces();
        assertEquals(study.episodes().size(), traceRequests.get(), "fetched once, then kept");
        assertEquals(List.of("small"), CollectorStudyData.listStudies(url, Duration.ofSeconds(5)).stream().map(StudyInfo::id).toList());
    }

    @Test
    void theEpisodesThatCouldNotBePlannedComeWithTheStudy() {
        assertEquals(List.of(), new CollectorStudyData(url, "small").study().failures());
        assertEquals(List.of(new StudyInfo.FailedEpisode(0, "fp", "seed is negative"),
                        new StudyInfo.FailedEpisode(3, "w4", "horizon 300 exceeds 256")),
                new CollectorStudyData(url, "failing").study().failures());
    }

    @Test
    void anUnknownStudyNamesTheKnownOnes() {
        var e = assertThrows(StudyDataException.class, () -> new CollectorStudyData(url, "nope").episodes());
        assertTrue(e.getMessage().contains("no study 'nope'") && e.getMessage().contains("known: small"), e.getMessage());
    }

    @Test
    void anUnreachableCollectorSaysSo() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        var e = assertThrows(StudyDataException.class,
                () -> new CollectorStudyData("http://127.0.0.1:" + port, "small", Duration.ofSeconds(2), null).study());
        assertTrue(e.getMessage().contains("cannot reach the collector"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CollectorStudyData("ftp://x", "small"));
        assertThrows(IllegalArgumentException.class, () -> new CollectorStudyData(url, " "));
    }

    // ---- the collector's JSON ------------------------------------------------------------------------------------

    private static String summary(StudyInfo s) {
        return JSON.createObjectNode().<ObjectNode>set("studyId", JSON.createObjectNode().put("value", s.id()))
                .put("name", s.name()).put("episodeCount", s.episodeCount()).put("completedCount", s.completedCount())
                .put("successCount", s.successCount()).put("submittedAtUnixMs", Long.toString(s.submittedAtUnixMs()))
                .toString();
    }

    private static ObjectNode episode(EpisodeRecord e) {
        ObjectNode n = JSON.createObjectNode().put("eventId", "ev-" + e.index());
        n.set("episodeId", JSON.createObjectNode().<ObjectNode>set("studyId", JSON.createObjectNode().put("value", "small"))
                .put("index", e.index()));
        n.put("attemptId", e.attemptId()).put("workerId", e.workerId())
                .put("environment", "ENVIRONMENT_ID_" + e.environment().toUpperCase(Locale.ROOT));
        n.set("encoder", ref(e.encoder()));
        n.set("predictor", ref(e.predictor()));
        PlannerBudget b = e.budget();
        n.set("budget", JSON.createObjectNode().put("horizon", b.horizon()).put("samples", b.samples()).put("topK", b.topK())
                .put("varScale", b.varScale()).put("optSteps", b.optSteps()).put("maxIter", b.maxIter())
                .put("objectiveAlpha", b.objectiveAlpha()).put("executedActions", b.executedActions()));
        n.set("seeding", JSON.createObjectNode().put("seed", Long.toString(e.seeding().seed()))
                .put("seedBase", Long.toString(e.seeding().seedBase())).put("seedOffset", Long.toString(e.seeding().seedOffset()))
                .put("split", "DATA_SPLIT_" + e.seeding().split().toUpperCase(Locale.ROOT)));
        n.put("configuration", e.configuration()).put("success", e.success()).put("successIteration", e.successIteration());
        number(n, "finalStateDistance", e.finalStateDistance());
        number(n, "finalBestLoss", e.finalBestLoss());
        n.put("mpcIterations", e.mpcIterations()).put("wallTimeMs", Long.toString(e.wallTimeMs()));
        number(n, "meanCemStepMs", e.meanCemStepMs());
        if (e.ranOn() != null) {
            n.set("ranOn", runEnvironment(e.ranOn()));
        }
        if (e.encoderRanOn() != null) {
            n.set("encoderRanOn", runEnvironment(e.encoderRanOn()));
        }
        return n.put("completedAtUnixMs", "0");
    }

    private static ObjectNode trace(EpisodeTrace t) {
        ObjectNode n = JSON.createObjectNode().put("attemptId", t.attemptId());
        ArrayNode mpc = n.putArray("mpcIterations");
        for (MpcIterationRecord m : t.mpcIterations()) {
            ObjectNode o = mpc.addObject().put("mpcIteration", m.mpcIteration()).put("success", m.success());
            number(o, "stateDistance", m.stateDistance());
            number(o, "bestLoss", m.bestLoss());
            number(o, "visualDivergence", m.visualDivergence());
            number(o, "proprioDivergence", m.proprioDivergence());
            o.put("envSteps", m.envSteps()).put("planningMs", Long.toString(m.planningMs()));
        }
        ArrayNode cem = n.putArray("cemSteps");
        for (CemStepRecord c : t.cemSteps()) {
            ObjectNode o = cem.addObject().put("mpcIteration", c.mpcIteration()).put("cemStep", c.cemStep());
            number(o, "bestLoss", c.bestLoss());
            o.put("success", c.success());
            number(o, "stateDistance", c.stateDistance());
            number(o, "visualDivergence", c.visualDivergence());
            number(o, "proprioDivergence", c.proprioDivergence());
        }
        return n;
    }

    private static ObjectNode artifact(ArtifactRecord a) {
        ObjectNode n = JSON.createObjectNode();
        n.set("artifact", ref(a.artifact()));
        if (a.source() != null) {
            n.set("source", ref(a.source()));
        }
        return n.put("sizeBytes", Long.toString(a.sizeBytes())).put("recipeJson", a.recipeJson() == null ? "" : a.recipeJson());
    }

    private static ObjectNode ref(ArtifactRef r) {
        return JSON.createObjectNode().put("sha256", r.sha256())
                .put("component", "MODEL_COMPONENT_" + r.component().toUpperCase(Locale.ROOT)).put("bundle", r.bundle())
                .put("label", r.label());
    }

    /** proto3 JSON writes floats as numbers, and NaN/±Infinity as strings. */
    private static void number(ObjectNode n, String field, double v) {
        if (Double.isNaN(v)) {
            n.put(field, "NaN");
        } else if (Double.isInfinite(v)) {
            n.put(field, v > 0 ? "Infinity" : "-Infinity");
        } else {
            n.put(field, v);
        }
    }

    static com.fasterxml.jackson.databind.node.ObjectNode runEnvironment(dev.qwm.onnx.runtime.RunEnvironment r) {
        return JSON.createObjectNode().put("cpuModel", r.cpu()).put("cpuClass", r.cpuClass())
                .put("cpuFeatures", r.cpuFeatures()).put("onnxRuntime", r.onnxRuntime())
                .put("executionProvider", r.executionProvider()).put("threads", r.threads());
    }
}
