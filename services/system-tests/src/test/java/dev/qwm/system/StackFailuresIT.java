package dev.qwm.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.infra.EmbeddedInfrastructure;
import dev.qwm.infra.LocalServices;
import dev.qwm.infra.ServiceSpec;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A study through encoder, predictor, a planner worker and the collector as processes, while what they stand on
 * fails: the predictor is killed (SIGKILL) while the planner has a live rollout session in the middle of an episode,
 * then started again, empty; later the broker is killed while an episode is being planned and its progress and
 * completion published, then started again on its data. The planner goes on where it was (it retries the predictor,
 * opens the lost session again, and its producer delivers to the restarted broker): every episode is stored exactly
 * once, none dead-lettered, and the episode the predictor died under was not planned again.
 */
class StackFailuresIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Path ROOT = Path.of(System.getProperty("qwm.root", "../..")).toAbsolutePath().normalize();
    private static final Path BUNDLE = ROOT.resolve("models/wall");
    private static final int EPISODES = 4;
    private static final Pattern ATTEMPT = Pattern.compile("episode (\\S+) attempt (\\S+):");

    @TempDir
    Path home;

    @Test
    void aRestartedPredictorAndAKilledBrokerLoseAndDoubleNoEpisode() throws Exception {
        try (EmbeddedInfrastructure infra = EmbeddedInfrastructure.start()) {
            LocalServices services = new LocalServices(ROOT, home);
            LocalServices.StackPorts ports = LocalServices.StackPorts.free(1);
            List<ServiceSpec> specs = new ArrayList<>();
            for (ServiceSpec s : SystemStack.services(infra, home, BUNDLE, ports, Set.of("quantizer"))) {
                // enough retries to outlast a predictor restart on a loaded machine (the default waits ~25 s)
                specs.add(s.module().equals("planner") ? SystemStack.withEnvironment(s,
                        Map.of("PLANNER_PREDICTOR_RETRIES", "60", "PLANNER_PREDICTOR_RETRY_MAX_BACKOFF", "5s")) : s);
            }
            try {
                services.up(specs, Duration.ofMinutes(4), System.out::println);
                String planner = "http://127.0.0.1:" + ports.planner();
                String collector = "http://127.0.0.1:" + ports.collector();
                ObjectNode study = SystemStack.wallStudy("stack-failures", EPISODES, BUNDLE, 64, 8, 4, 3);
                JsonNode created = SystemStack.post(planner + "/api/v1/studies", study);
                String studyId = created.get("study_id").asText();

                try (Connection db = DriverManager.getConnection(infra.jdbcUrl(), "qwm", "qwm")) {
                    // 1. the predictor dies under a live session, and comes back without it
                    String underPredictor = awaitEpisodeInFlight(services, db, Set.of());
                    services.kill("predictor");
                    services.up(specs, Duration.ofMinutes(4), System.out::println); // starts the predictor again
                    System.out.println("predictor restarted under attempt " + underPredictor);

                    // 2. the broker dies while another episode is being planned and published
                    String underBroker = awaitEpisodeInFlight(services, db, Set.of(underPredictor));
                    infra.killKafka();
                    infra.restartKafka();
                    System.out.println("broker restarted under attempt " + underBroker);

                    JsonNode episodes = awaitEpisodes(collector, studyId, EPISODES, Duration.ofMinutes(10));
                    Set<Integer> indexes = new HashSet<>();
                    for (JsonNode e : episodes) {
                        assertTrue(indexes.add(e.get("episodeId").path("index").asInt(0)), "episode stored twice: " + e);
                    }
                    assertEquals(EPISODES, indexes.size());
                    assertEquals(EPISODES, count(db, "SELECT count(*) FROM episodes WHERE study_id = ? AND attempt_id"
                            + " IS NOT NULL", studyId), "completed episode rows");
                    assertEquals(0, count(db, "SELECT count(*) FROM episodes WHERE study_id = ? AND dead_letter_reason"
                            + " IS NOT NULL", studyId), "dead-lettered episodes");
                    // the episode the predictor died under went on in its attempt: that attempt is the completed one
                    assertEquals(1, count(db, "SELECT count(*) FROM episodes WHERE study_id = ? AND attempt_id = ?",
                            studyId, underPredictor), "the attempt the predictor restarted under completed");
                    String log = Files.readString(services.logFile("planner-1"));
                    System.out.printf("stack failures: %d episodes stored once; %d episode attempts started, %d"
                            + " predictor calls retried%n", EPISODES, ATTEMPT.matcher(log).results().count(),
                            count(log, "predictor call failed"));
                }
            } finally {
                services.down(List.of(), System.out::println);
            }
        }
    }

    /**
     * Waits until planner-1 is in the middle of an episode attempt not in {@code not}: it logged the attempt's start
     * and not its end, and the collector stored CEM steps of it. Returns the attempt id.
     */
    private static String awaitEpisodeInFlight(LocalServices services, Connection db, Set<String> not) throws Exception {
        Path log = services.logFile("planner-1");
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        try (PreparedStatement steps = db.prepareStatement("SELECT count(*) FROM cem_steps WHERE attempt_id = ?")) {
            while (System.nanoTime() < deadline) {
                String text = Files.exists(log) ? Files.readString(log) : "";
                Matcher m = ATTEMPT.matcher(text);
                String attempt = null;
                String episode = null;
                int at = -1;
                while (m.find()) {
                    episode = m.group(1);
                    attempt = m.group(2);
                    at = m.end();
                }
                if (attempt != null && !not.contains(attempt)
                        && !text.substring(at).contains("episode " + episode + " done: success=")) {
                    steps.setString(1, attempt);
                    try (ResultSet r = steps.executeQuery()) {
                        r.next();
                        if (r.getInt(1) > 0) {
                            return attempt;
                        }
                    }
                }
                Thread.sleep(200);
            }
        }
        throw new AssertionError("planner-1 never got into an episode (no stored CEM step of an unfinished attempt)");
    }

    private static int count(Connection db, String sql, Object... args) throws Exception {
        try (PreparedStatement s = db.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setObject(i + 1, args[i]);
            }
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        }
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    private static JsonNode awaitEpisodes(String collector, String studyId, int total, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode episodes = JSON.createArrayNode();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(collector + "/api/v1/studies/"
                    + studyId + "/episodes")).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                episodes = JSON.readTree(r.body()).path("episodes");
                if (episodes.size() >= total) {
                    return episodes;
                }
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("only " + episodes.size() + " of " + total + " episodes stored after " + timeout);
    }
}
