package dev.qwm.quantizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.infra.EmbeddedInfrastructure;
import dev.qwm.infra.ServiceProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged quantizer as a real process, killed (SIGKILL) with one job calibrating and one queued behind it, then
 * started again on the same artifact store: neither job is lost. Both are answered as failed, saying they were
 * interrupted and that submitting them again runs them; submitting the queued one again runs it under the same id.
 */
class QuantizerRestartIT {

    private static final Duration WITHIN = Duration.ofMinutes(3);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static EmbeddedInfrastructure infra;

    @TempDir
    static Path base;

    @BeforeAll
    static void startInfrastructure() {
        infra = EmbeddedInfrastructure.start();
    }

    @AfterAll
    static void stopInfrastructure() {
        if (infra != null) {
            infra.close();
        }
    }

    private static ServiceProcess quantizer(String name) {
        return ServiceProcess.packaged("quantizer", name, Map.of(
                "kafka.bootstrap.servers", infra.bootstrapServers(),
                "quantizer.artifacts-root", base.resolve("store").toString(),
                "qwm.bundle-roots", base.resolve("sources") + "," + base.resolve("store")), Map.of(), Duration.ofSeconds(120));
    }

    @Test
    void jobsQueuedOrRunningWhenTheQuantizerIsKilledAreReportedInterruptedAfterItsRestartAndCanBeRunAgain()
            throws Exception {
        String bundle = SourceBundles.wall(base.resolve("sources").resolve("wall"), 5).directory().toString();
        String calibrating;
        String queued;
        try (ServiceProcess first = quantizer("before-kill")) {
            calibrating = submit(first, Map.of("bundle", bundle, "preset", "w8a8", "modules", "predictor",
                    "episodes", 1000, "quant_iter", 1));
            await(first, calibrating, j -> j.path("message").asText().startsWith("calibrating"));
            queued = submit(first, Map.of("bundle", bundle, "preset", "w4a16", "modules", "predictor"));
            assertTrue(job(first, queued).path("message").asText().startsWith("queued behind"));
            first.kill();
        }
        try (ServiceProcess second = quantizer("after-kill")) {
            JsonNode running = job(second, calibrating);
            assertEquals("FAILED", running.path("state").asText(), running.toString());
            assertTrue(running.path("message").asText().startsWith("interrupted: the quantizer stopped while this job"
                    + " was running"), running.toString());
            JsonNode waiting = job(second, queued);
            assertEquals("FAILED", waiting.path("state").asText(), waiting.toString());
            assertTrue(waiting.path("message").asText().startsWith("interrupted: the quantizer stopped while this job"
                    + " was queued") && waiting.path("message").asText().contains("submit it again to run it"),
                    waiting.toString());
            assertTrue(Files.notExists(base.resolve("store").resolve(calibrating)), "nothing of it was stored");

            // submitted again: the same job, run this time
            assertEquals(queued, submit(second, Map.of("bundle", bundle, "preset", "w4a16", "modules", "predictor")));
            JsonNode done = await(second, queued, j -> !j.path("state").asText().equals("RUNNING"));
            assertEquals("SUCCEEDED", done.path("state").asText(), done.toString());
        }
    }

    private static String submit(ServiceProcess q, Map<String, Object> body) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + q.port()
                        + "/api/v1/quantizations")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).path("job_id").asText();
    }

    private static JsonNode job(ServiceProcess q, String id) throws IOException {
        HttpResponse<String> r = q.get("/api/v1/quantizations/" + id);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private static JsonNode await(ServiceProcess q, String id, Predicate<JsonNode> until) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await("job " + id).atMost(WITHIN).pollInterval(Duration.ofMillis(200)).until(() -> {
            last[0] = job(q, id);
            return until.test(last[0]);
        });
        return last[0];
    }
}
