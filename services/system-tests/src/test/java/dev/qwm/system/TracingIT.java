package dev.qwm.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.cli.study.ServiceClient;
import dev.qwm.cli.study.ServiceCredentials;
import dev.qwm.cli.study.TraceParent;
import dev.qwm.infra.EmbeddedInfrastructure;
import dev.qwm.infra.LocalServices;
import dev.qwm.infra.ServiceSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One trace spans an episode: with tracing on (each service writing its spans to a file), a study submitted as ./qwm
 * submits it (a new W3C traceparent) is planned by a planner worker, and the spans of the planner's study endpoint,
 * of the worker's episode (its context came through the Kafka record), of the predictor's OpenSession and Rollout and
 * of the encoder's Encode all carry the submission's trace id, each with its parent in that trace.
 */
class TracingIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROOT = Path.of(System.getProperty("qwm.root", "../..")).toAbsolutePath().normalize();
    private static final Path BUNDLE = ROOT.resolve("models/wall");

    @TempDir
    Path home;

    @Test
    void theSpansOfAnEpisodeFromSubmissionToEncoderAreOneTrace() throws Exception {
        try (EmbeddedInfrastructure infra = EmbeddedInfrastructure.start()) {
            LocalServices services = new LocalServices(ROOT, home);
            LocalServices.StackPorts ports = LocalServices.StackPorts.free(1);
            List<ServiceSpec> specs = new ArrayList<>();
            // the services on an episode's path, each writing its spans to a file of its own
            for (ServiceSpec s : SystemStack.services(infra, home, BUNDLE, ports, Set.of("quantizer", "collector"))) {
                specs.add(SystemStack.withEnvironment(s, Map.of("QUARKUS_OTEL_SDK_DISABLED", "false",
                        "QWM_TRACING_FILE", home.resolve("traces").resolve(s.name() + ".jsonl").toString(),
                        "QUARKUS_OTEL_BSP_SCHEDULE_DELAY", "200ms")));
            }
            try {
                services.up(specs, Duration.ofMinutes(4), System.out::println);
                ObjectNode study = SystemStack.wallStudy("tracing", 1, BUNDLE, 16, 4, 2, 1);
                TraceParent trace = TraceParent.start();
                JsonNode created = new ServiceClient("planner", "http://127.0.0.1:" + ports.planner(),
                        ServiceCredentials.NONE).post("/api/v1/studies", study, Map.of("traceparent", trace.header()));
                String key = created.get("study_id").asText() + "/0";

                Path plannerLog = services.logFile("planner-1");
                awaitTrue("episode " + key + " planned", () -> Files.readString(plannerLog)
                        .contains("episode " + key + " done: success="));
                // every span the episode made, exported (batches every 200 ms)
                Map<String, List<JsonNode>> byService = new HashMap<>();
                awaitTrue("the episode's spans in every service's file", () -> {
                    byService.clear();
                    for (JsonNode span : spans(home.resolve("traces"), trace.traceId())) {
                        byService.computeIfAbsent(span.path("service").asText(), k -> new ArrayList<>()).add(span);
                    }
                    return has(byService, "qwm-planner", "plan episode")
                            && has(byService, "qwm-predictor", "PredictorService/OpenSession")
                            && has(byService, "qwm-predictor", "PredictorService/Rollout")
                            && has(byService, "qwm-encoder", "EncoderService/Encode");
                });
                List<JsonNode> all = byService.values().stream().flatMap(List::stream).toList();
                java.util.Set<String> ids = new java.util.HashSet<>();
                all.forEach(s -> ids.add(s.path("span_id").asText()));
                ids.add(trace.spanId()); // the submission's own span: ./qwm's
                for (JsonNode s : all) {
                    assertTrue(ids.contains(s.path("parent_span_id").asText()),
                            "span " + s + " has its parent outside the trace");
                }
                JsonNode endpoint = byService.get("qwm-planner").stream()
                        .filter(s -> s.path("parent_span_id").asText().equals(trace.spanId())).findFirst()
                        .orElseThrow(() -> new AssertionError("no planner span is the submission's child: "
                                + byService.get("qwm-planner")));
                assertEquals("SERVER", endpoint.path("kind").asText(), endpoint.toString());
                System.out.printf("tracing: trace %s has %d spans: %s%n", trace.traceId(), all.size(),
                        byService.entrySet().stream().map(e -> e.getKey() + " " + e.getValue().size()).toList());
            } finally {
                services.down(List.of(), System.out::println);
            }
        }
    }

    private static boolean has(Map<String, List<JsonNode>> byService, String service, String name) {
        return byService.getOrDefault(service, List.of()).stream().anyMatch(s -> s.path("name").asText().contains(name));
    }

    private static List<JsonNode> spans(Path dir, String traceId) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                for (String line : Files.readAllLines(f)) {
                    if (line.contains(traceId)) {
                        out.add(JSON.readTree(line));
                    }
                }
            }
        }
        return out;
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private static void awaitTrue(String what, Check check) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline) {
            if (check.ok()) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("not within 5 minutes: " + what);
    }
}
