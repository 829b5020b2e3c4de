package dev.qwm.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.cli.QwmCommand;
import dev.qwm.cli.study.ServiceClient;
import dev.qwm.infra.EmbeddedInfrastructure;
import dev.qwm.infra.LocalServices;
import dev.qwm.infra.ServiceSpec;
import dev.qwm.planning.eval.EpisodeLog;
import dev.qwm.planning.mpc.EpisodeResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./qwm verify} through the services, as a user runs it: the CLI (its own process) verifies a quantized
 * artifact against the shipped Wall bundle in paired batches on the planner fleet, is stopped after its first batch is
 * stored, and run again: it goes on from the stored batches. Every episode must be stored once, the collector must
 * hold the verdict the CLI printed, and the same verification in process must plan the very same episodes (success by
 * seed) to the very same verdict.
 *
 * <p>Deterministic whatever the machine's speed: the CLI is stopped once the collector holds its record after the
 * first batch (RUNNING, 4 pairs), whatever it dispatched since; four pairs cannot decide at this margin.
 */
class VerifyThroughServicesIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROOT = Path.of(System.getProperty("qwm.root", "../..")).toAbsolutePath().normalize();
    private static final Path BUNDLE = ROOT.resolve("models/wall");
    private static final int PAIRS = 8;
    private static final int BATCH = 4;
    private static final List<String> TEST = List.of("--margin", "0.05", "--max-episodes", "" + PAIRS,
            "--max-iter", "2", "--opt-steps", "2", "--samples", "32", "--topk", "4");

    @TempDir
    Path work;

    @Test
    void aVerificationStoppedMidwayGoesOnFromTheStoredBatchesToTheInProcessVerdict() throws Exception {
        try (EmbeddedInfrastructure infra = EmbeddedInfrastructure.start()) {
            LocalServices services = new LocalServices(ROOT, work.resolve("stack"));
            LocalServices.StackPorts ports = LocalServices.StackPorts.free(1);
            List<ServiceSpec> specs = SystemStack.services(infra, work.resolve("stack"), BUNDLE, ports, Set.of());
            try {
                services.up(specs, Duration.ofMinutes(4), System.out::println);
                String planner = "http://127.0.0.1:" + ports.planner();
                String collectorUrl = "http://127.0.0.1:" + ports.collector();
                ServiceClient collector = new ServiceClient("collector", collectorUrl);
                String candidate = quantize("http://127.0.0.1:" + ports.quantizer());

                List<String> args = new ArrayList<>(List.of("verify", "--bundle", candidate, "--reference",
                        BUNDLE.toString(), "--planner", planner, "--collector", collectorUrl, "--batch", "" + BATCH));
                args.addAll(TEST);

                // 1. the CLI is stopped once its first batch is in the collector's record
                Process first = cli(args, work.resolve("first.log"));
                JsonNode running = awaitRecord(collector, first);
                assertEquals("RUNNING", running.path("verdict").asText(), running.toString());
                first.destroy();
                first.waitFor();
                String id = running.path("verification_id").asText();

                // 2. run again: it goes on from the stored batches to a verdict
                Process second = cli(args, work.resolve("second.log"));
                int exit = second.waitFor();
                String printed = Files.readString(work.resolve("second.log"));
                assertTrue(exit == 0 || exit == 3 || exit == 4, "exit " + exit + ":\n" + printed);
                JsonNode stored = collector.get("/api/v1/verifications/" + id);
                assertEquals(exit == 0 ? "PASS" : exit == 3 ? "FAIL" : "UNDECIDED", stored.path("verdict").asText());
                int pairs = stored.path("pairs").asInt();
                int batches = (pairs + BATCH - 1) / BATCH;
                assertEquals(2 * batches, stored.path("study_ids").size());
                assertEquals(2 * batches * BATCH, stored.path("episodes_planned").asInt());
                assertEquals(1, collector.get("/api/v1/verifications").path("verifications").size());
                // it went on: the first batch (both sides) was not dispatched again
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) episodes stored \\((\\d+) planned"
                        + " by this run\\)").matcher(printed);
                assertTrue(m.find(), printed);
                assertEquals(2 * batches * BATCH, Integer.parseInt(m.group(1)));
                assertTrue(Integer.parseInt(m.group(2)) <= 2 * (batches - 1) * BATCH, printed);

                // every episode of every batch study stored once, and only the verification's batches exist
                try (Connection c = DriverManager.getConnection(infra.jdbcUrl(), "qwm", "qwm");
                     Statement s = c.createStatement()) {
                    List<String> ids = new ArrayList<>();
                    stored.path("study_ids").forEach(i -> ids.add("'" + i.asText() + "'"));
                    String in = " WHERE study_id IN (" + String.join(",", ids) + ")";
                    assertEquals(2 * batches * BATCH, count(s, "SELECT count(*) FROM episodes" + in
                            + " AND attempt_id IS NOT NULL"));
                    assertEquals(2 * batches * BATCH, count(s, "SELECT count(DISTINCT (study_id, episode_index))"
                            + " FROM episodes" + in));
                    assertEquals(2 * batches, count(s, "SELECT count(*) FROM studies" + in));
                }

                // 3. once more: everything is on the stack, nothing is planned
                Process third = cli(args, work.resolve("third.log"));
                assertEquals(exit, third.waitFor());
                assertTrue(Files.readString(work.resolve("third.log")).contains("(0 planned by this run)"),
                        Files.readString(work.resolve("third.log")));

                // 4. the same verification in process: the same episodes, the same successes, the same verdict
                Path log = work.resolve("in-process");
                List<String> local = new ArrayList<>(List.of("verify", "--in-process", "--bundle", candidate,
                        "--reference", BUNDLE.toString(), "--log", log.toString(), "--collector", collectorUrl));
                local.addAll(TEST);
                assertEquals(exit, QwmCommand.commandLine().execute(local.toArray(String[]::new)));
                // its verdict stored beside the fleet's, the same record, with no batch studies
                JsonNode all = collector.get("/api/v1/verifications").path("verifications");
                assertEquals(2, all.size(), all.toString());
                JsonNode inProcess = null;
                for (JsonNode v : all) {
                    if (!v.path("verification_id").asText().equals(id)) {
                        inProcess = collector.get("/api/v1/verifications/" + v.path("verification_id").asText());
                    }
                }
                assertTrue(inProcess != null, all.toString());
                assertEquals(stored.path("verdict").asText(), inProcess.path("verdict").asText(), inProcess.toString());
                assertEquals(pairs, inProcess.path("pairs").asInt(), inProcess.toString());
                assertEquals(stored.path("difference").asDouble(), inProcess.path("difference").asDouble(), 1e-12);
                assertEquals(0, inProcess.path("study_ids").size(), inProcess.toString());
                assertEquals(2 * pairs, inProcess.path("episodes_planned").asInt(), inProcess.toString());
                Map<Long, JsonNode> fleet = new HashMap<>();
                Map<Long, JsonNode> fleetReference = new HashMap<>();
                for (int i = 0; i < stored.path("study_ids").size(); i++) {
                    // each batch: the reference's study, then the candidate's
                    JsonNode studyId = stored.path("study_ids").get(i);
                    boolean reference = i % 2 == 0;
                    for (JsonNode e : collector.get("/api/v1/studies/" + studyId.asText() + "/episodes")
                            .path("episodes")) {
                        (reference ? fleetReference : fleet).put(e.path("seeding").path("seed").asLong(), e);
                    }
                }
                Map<Integer, EpisodeResult> q = EpisodeLog.read(log.resolve("candidate.episodes.jsonl"), s -> { });
                Map<Integer, EpisodeResult> f = EpisodeLog.read(log.resolve("reference.episodes.jsonl"), s -> { });
                assertEquals(pairs, q.size());
                assertEquals(pairs, f.size());
                // identical decisions, so the same outcome and the same final distance, episode by episode
                for (var side : List.of(Map.entry(q, fleet), Map.entry(f, fleetReference))) {
                    for (EpisodeResult r : side.getKey().values()) {
                        JsonNode e = side.getValue().get(r.episodeSeed());
                        assertTrue(e != null, "seed " + r.episodeSeed() + " not planned by the fleet");
                        assertEquals(r.success(), e.path("success").asBoolean(false), "success, seed " + r.episodeSeed());
                        assertEquals(r.mpcIterations(), e.path("mpcIterations").asInt(), "seed " + r.episodeSeed());
                        assertEquals((float) r.finalStateDistance(), (float) e.path("finalStateDistance").asDouble(),
                                1e-4f, "final state distance, seed " + r.episodeSeed());
                    }
                }

                // 5. the user's view of what the collector stores
                Process list = cli(List.of("verify", "--list", "--collector", collectorUrl), work.resolve("list.log"));
                assertEquals(0, list.waitFor());
                String table = Files.readString(work.resolve("list.log"));
                assertTrue(table.contains(id) && table.contains(stored.path("verdict").asText()), table);
                System.out.println(table);

                // 6. autoquant confirms through the same fleet: its verifications tagged with the search, the search
                // stored beside them, FP's batches planned once for all of them (its --out inside the stack's store:
                // against a remote stack the candidates' paths must be the services' own)
                Path out = work.resolve("stack/artifacts/autoquant");
                int searched = QwmCommand.commandLine().execute("autoquant", "--bundle", BUNDLE.toString(), "--budget",
                        "bytes=0.5", "--out", out.toString(), "--calibration-episodes", "1", "--drift-segments", "2",
                        "--drift-candidates", "2", "--confirm", "1", "--samples", "8", "--topk", "2", "--opt-steps",
                        "1", "--max-iter", "1", "--max-episodes", "4", "--batch", "2", "--through-services",
                        "--planner", planner, "--collector", collectorUrl);
                assertTrue(searched == 0 || searched == 4, "autoquant exit " + searched);
                JsonNode searches = collector.get("/api/v1/searches").path("searches");
                assertEquals(1, searches.size());
                JsonNode search = collector.get("/api/v1/searches/" + searches.get(0).path("search_id").asText());
                assertTrue(search.path("candidates").size() >= 1, search.toString());
                JsonNode tagged = search.path("verifications");
                assertEquals(search.path("confirmed").size(), tagged.size(), search.toString());
                assertTrue(tagged.size() >= 2, "the best candidate and the uniform W4 baseline: " + tagged);
                for (JsonNode v : tagged) {
                    assertEquals(search.path("search_id").asText(), v.path("search_id").asText());
                    assertTrue(List.of("PASS", "FAIL", "UNDECIDED").contains(v.path("verdict").asText()), v.toString());
                }
                // every batch's FP study (even positions) is the same study for every verification of the search
                JsonNode firstIds = tagged.get(0).path("study_ids");
                JsonNode secondIds = tagged.get(1).path("study_ids");
                for (int i = 0; i < Math.min(firstIds.size(), secondIds.size()); i += 2) {
                    assertEquals(firstIds.get(i).asText(), secondIds.get(i).asText(), "the reference's batch " + i / 2);
                }

                // 7. the same search in process with --collector: a search record of its own, each confirmation's
                // verdict stored as it is decided and tagged with it, with no batch studies
                int inProcessExit = QwmCommand.commandLine().execute("autoquant", "--bundle", BUNDLE.toString(), "--budget",
                        "bytes=0.5", "--out", work.resolve("autoquant-in-process").toString(), "--calibration-episodes",
                        "1", "--drift-segments", "2", "--drift-candidates", "2", "--confirm", "1", "--samples", "8",
                        "--topk", "2", "--opt-steps", "1", "--max-iter", "1", "--max-episodes", "4", "--collector",
                        collectorUrl);
                assertTrue(inProcessExit == 0 || inProcessExit == 4, "autoquant in process exit " + inProcessExit);
                JsonNode two = collector.get("/api/v1/searches").path("searches");
                assertEquals(2, two.size(), two.toString());
                String fleetSearch = search.path("search_id").asText();
                String localId = two.get(0).path("search_id").asText().equals(fleetSearch)
                        ? two.get(1).path("search_id").asText() : two.get(0).path("search_id").asText();
                JsonNode localSearch = collector.get("/api/v1/searches/" + localId);
                JsonNode localTagged = localSearch.path("verifications");
                assertEquals(localSearch.path("confirmed").size(), localTagged.size(), localSearch.toString());
                assertTrue(localTagged.size() >= 2, "the best candidate and the uniform W4 baseline: " + localTagged);
                Map<Integer, String> verdicts = new HashMap<>();
                localSearch.path("confirmed").forEach(c -> verdicts.merge(c.path("pairs").asInt(),
                        c.path("verdict").asText(), (a, b) -> a + "," + b));
                for (JsonNode v : localTagged) {
                    JsonNode full = collector.get("/api/v1/verifications/" + v.path("verification_id").asText());
                    assertEquals(localId, full.path("search_id").asText(), full.toString());
                    assertEquals(0, full.path("study_ids").size(), full.toString());
                    assertTrue(verdicts.getOrDefault(full.path("pairs").asInt(), "")
                            .contains(full.path("verdict").asText()), full + " against " + localSearch.path("confirmed"));
                }
                System.out.println("verify through the services:\n" + printed);
            } finally {
                services.down(List.of(), System.out::println);
            }
        }
    }

    /** A weight-only 4-bit quantization of both modules by the quantizer service; its artifact's folder. */
    private static String quantize(String quantizer) throws Exception {
        ObjectNode q = JSON.createObjectNode().put("bundle", BUNDLE.toString()).put("preset", "w4a16-g128")
                .put("modules", "both");
        ServiceClient client = new ServiceClient("quantizer", quantizer);
        String job = client.post("/api/v1/quantizations", q).get("job_id").asText();
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode s = client.get("/api/v1/quantizations/" + job);
            if (s.path("state").asText().contains("SUCCEEDED")) {
                return s.get("bundle").asText();
            }
            assertTrue(!s.path("state").asText().contains("FAILED"), "quantization failed: " + s);
            Thread.sleep(500);
        }
        throw new AssertionError("quantization job " + job + " did not finish");
    }

    /** The CLI in its own JVM (this test's class path), its output into {@code output}. */
    private static Process cli(List<String> args, Path output) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), QwmCommand.class.getName()));
        command.addAll(args);
        return new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
    }

    /** The verification's record once it holds a batch; the CLI must still run. */
    private static JsonNode awaitRecord(ServiceClient collector, Process cli) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (System.nanoTime() < deadline) {
            assertTrue(cli.isAlive(), () -> "the CLI ended before its first batch was stored (exit " + cli.exitValue()
                    + ")");
            JsonNode all = collector.get("/api/v1/verifications").path("verifications");
            if (!all.isEmpty()) {
                return all.get(0);
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no verification stored in 10 min");
    }

    private static int count(Statement s, String sql) throws Exception {
        try (ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getInt(1);
        }
    }
}
