package dev.qwm.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.cli.study.StudyLog;
import dev.qwm.cli.study.ServiceClient;
import dev.qwm.cli.study.StudyRunner;
import dev.qwm.cli.study.StudySpec;
import dev.qwm.infra.EmbeddedInfrastructure;
import dev.qwm.infra.LocalServices;
import dev.qwm.infra.ServiceSpec;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A study survives its stack and its machine through its episode log: it runs on a first stack (Kafka, PostgreSQL,
 * the five services as processes), which is stopped in the middle of the study with part of its episodes in the log;
 * then a second, fresh stack (another broker, another database, another artifact store: another machine) goes on
 * from the log alone. Every episode must end up stored exactly once, in the collector and in the log, and the logged
 * ones must not be planned again.
 *
 * <p>Deterministic whatever the machine's speed: the first stack is stopped after at least three episodes are stored,
 * and exactly three of them go into the log (as if the machine died after that export); whatever else it stored is
 * lost with it.
 */
class StudyResumeIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROOT = Path.of(System.getProperty("qwm.root", "../..")).toAbsolutePath().normalize();
    private static final Path BUNDLE = ROOT.resolve("models/wall");
    private static final int LOGGED = 3;

    @TempDir
    Path work;

    @Test
    void aStudyGoesOnFromItsEpisodeLogOnAFreshStackAndStoresEveryEpisodeOnce() throws Exception {
        // three configurations x three episodes at a small budget; one quantized (weight-only: no calibration, so the
        // second stack re-creates the very same artifact), one full precision under another planner seed
        Path spec = work.resolve("resume-it.yaml");
        Files.writeString(spec, """
                name: resume-it
                environment: wall
                bundle: %s
                episodes: 3
                log: log
                budgets: [{max_iter: 2, opt_steps: 2, samples: 32, top_k: 4}]
                recipes:
                  - {name: fp32}
                  - {name: predictor-w4a16-g128, preset: w4a16-g128, modules: predictor}
                  - {name: fp32-seed1, planner_seed: 1}
                """.formatted(BUNDLE));
        StudySpec study = StudySpec.read(spec);
        String id = StudyRunner.studyId(study);
        String fingerprint = StudyRunner.fingerprint(study);
        Path logDir = Path.of(study.log());
        int total = 9;

        // 1. the first stack: the study starts, three stored episodes reach the log, the stack stops mid-study
        Map<Integer, String> loggedAttempts = new HashMap<>();
        try (EmbeddedInfrastructure infra = EmbeddedInfrastructure.start()) {
            LocalServices services = new LocalServices(ROOT, work.resolve("stack-1"));
            LocalServices.StackPorts ports = LocalServices.StackPorts.free(1);
            List<ServiceSpec> specs = LocalServices.stack(infra.bootstrapServers(), infra.jdbcUrl(),
                    work.resolve("stack-1/artifacts"), List.of(BUNDLE), work.resolve("stack-1/pusht"), 1, ports);
            try {
                services.up(specs, Duration.ofMinutes(4), System.out::println);
                StudyRunner runner = runner(ports);
                StudyLog log = StudyLog.open(logDir, id, fingerprint);
                assertEquals(id, runner.submit(study, id, log));
                JsonNode stored = awaitStored(client("collector", ports.collector()), id, LOGGED);
                List<JsonNode> some = new ArrayList<>();
                stored.forEach(some::add);
                ServiceClient collector = client("collector", ports.collector());
                JsonNode first = JSON.createArrayNode().addAll(some.subList(0, LOGGED));
                assertEquals(LOGGED, runner.export(id, log, first));
                for (JsonNode e : first) {
                    loggedAttempts.put(e.path("episodeId").path("index").asInt(0), e.path("attemptId").asText());
                }
                assertEquals(total, collector.get("/api/v1/studies/" + id).path("summary").path("episodeCount").asInt());
            } finally {
                services.down(List.of(), System.out::println); // mid-study: the rest of its work is lost with it
            }
        }

        // 2. a fresh stack, as on another machine: the same spec goes on from the log
        try (EmbeddedInfrastructure infra = EmbeddedInfrastructure.start()) {
            LocalServices services = new LocalServices(ROOT, work.resolve("stack-2"));
            LocalServices.StackPorts ports = LocalServices.StackPorts.free(1);
            List<ServiceSpec> specs = LocalServices.stack(infra.bootstrapServers(), infra.jdbcUrl(),
                    work.resolve("stack-2/artifacts"), List.of(BUNDLE), work.resolve("stack-2/pusht"), 1, ports);
            try {
                services.up(specs, Duration.ofMinutes(4), System.out::println);
                StudyRunner runner = runner(ports);
                StudyLog log = StudyLog.open(logDir, id, fingerprint);
                assertEquals(loggedAttempts.keySet(), log.indices(), "the log holds what was exported, nothing else");
                assertEquals(id, runner.submit(study, id, log));
                assertEquals(0, runner.watch(id, Duration.ofMinutes(10), log, Duration.ofSeconds(1)));

                JsonNode episodes = client("collector", ports.collector()).get("/api/v1/studies/" + id + "/episodes")
                        .path("episodes");
                Set<Integer> indices = new HashSet<>();
                for (JsonNode e : episodes) {
                    int index = e.path("episodeId").path("index").asInt(0);
                    assertTrue(indices.add(index), "episode " + index + " stored twice");
                    if (loggedAttempts.containsKey(index)) {
                        assertEquals(loggedAttempts.get(index), e.path("attemptId").asText(),
                                "logged episode " + index + " was planned again");
                    }
                }
                assertEquals(total, indices.size());
                try (Connection c = DriverManager.getConnection(infra.jdbcUrl(), "qwm", "qwm");
                     Statement s = c.createStatement()) {
                    assertEquals(total, count(s, "SELECT count(*) FROM episodes WHERE study_id = '" + id
                            + "' AND attempt_id IS NOT NULL"));
                    // the logged episodes came back with their trace and only it: no second attempt planned them
                    assertEquals(0, count(s, "SELECT count(*) FROM cem_steps WHERE study_id = '" + id
                            + "' AND episode_index IN (" + String.join(",", loggedAttempts.keySet().stream()
                            .map(String::valueOf).toList()) + ") AND attempt_id NOT IN ('"
                            + String.join("','", loggedAttempts.values()) + "')"));
                    assertTrue(count(s, "SELECT count(*) FROM cem_steps WHERE study_id = '" + id + "' AND episode_index = "
                            + loggedAttempts.keySet().iterator().next()) > 0, "the imported episode has its CEM steps");
                }
                // the log now holds every episode, each once over all its chunks
                assertEquals(total, logLines(logDir).size());
                assertEquals(total, new HashSet<>(logLines(logDir)).size());

                // importing again, and running the spec again on this stack, change nothing
                StudyLog again = StudyLog.open(logDir, id, fingerprint);
                assertEquals(id, runner.submit(study, id, again));
                assertEquals(total, client("collector", ports.collector()).get("/api/v1/studies/" + id + "/episodes")
                        .path("episodes").size());
                try (Connection c = DriverManager.getConnection(infra.jdbcUrl(), "qwm", "qwm");
                     Statement s = c.createStatement()) {
                    assertEquals(total, count(s, "SELECT count(*) FROM episodes WHERE study_id = '" + id + "'"));
                }
            } finally {
                services.down(List.of(), System.out::println);
            }
        }
    }

    private static StudyRunner runner(LocalServices.StackPorts ports) {
        return new StudyRunner(client("quantizer", ports.quantizer()), client("planner", ports.planner()),
                client("collector", ports.collector()), new PrintStream(System.out, true, StandardCharsets.UTF_8));
    }

    private static ServiceClient client(String name, int port) {
        return new ServiceClient(name, "http://127.0.0.1:" + port);
    }

    private static JsonNode awaitStored(ServiceClient collector, String id, int atLeast) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (System.nanoTime() < deadline) {
            var study = collector.find("/api/v1/studies/" + id);
            if (study.isPresent()) {
                JsonNode episodes = collector.get("/api/v1/studies/" + id + "/episodes").path("episodes");
                if (episodes.size() >= atLeast) {
                    return episodes;
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("fewer than " + atLeast + " episodes of " + id + " stored in 10 min");
    }

    private static int count(Statement s, String sql) throws Exception {
        try (ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getInt(1);
        }
    }

    /** The episode index of every line of every chunk. */
    private static List<Integer> logLines(Path dir) throws Exception {
        List<Integer> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path chunk : files.filter(p -> p.getFileName().toString().endsWith(".jsonl.gz")).sorted().toList()) {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                        Files.newInputStream(chunk)), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        out.add(JSON.readTree(line).path("completed").path("episodeId").path("index").asInt(0));
                    }
                }
            }
        }
        return out;
    }
}
