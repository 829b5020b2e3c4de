package dev.qwm.cli.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.analysis.stats.SequentialNonInferiority;
import dev.qwm.planning.PlannerBudget;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class FleetVerificationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PlannerBudget WALL = PlannerBudget.dinoWm("wall");

    @Test
    void batchesCoverThePairsOnceAndPlanTheInProcessSeeds() {
        List<FleetVerification.Batch> b = FleetVerification.batches(20, 8);
        assertEquals(List.of(new FleetVerification.Batch(0, 8), new FleetVerification.Batch(8, 8),
                new FleetVerification.Batch(16, 4)), b);
        // pair n plans seed 99n+1, as PairedVerification does in process: base 99, offset 99*from+1
        FleetVerification.Batch second = b.get(1);
        assertEquals(99 * 8 + 1, second.seedOffset());
        for (int n = 0; n < second.pairs(); n++) {
            assertEquals(99L * (8 + n) + 1, FleetVerification.SEED_BASE * n + second.seedOffset());
            assertEquals(99L * (8 + n) + 1, second.seed(n));
        }
        assertEquals(List.of(new FleetVerification.Batch(0, 1)), FleetVerification.batches(1, 8));
    }

    /** Batched looks give the very verdict, Δ and pairs of looking after every pair, for any batch size. */
    @Test
    void feedingInBatchesStopsWhereThePairByPairTestStops() {
        Random random = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            double pq = 0.5 + 0.5 * random.nextDouble();
            double pf = 0.5 + 0.5 * random.nextDouble();
            int max = 1 + random.nextInt(300);
            boolean[] q = new boolean[max];
            boolean[] f = new boolean[max];
            for (int i = 0; i < max; i++) {
                q[i] = random.nextDouble() < pq;
                f[i] = random.nextDouble() < pf;
            }
            SequentialNonInferiority pairwise = new SequentialNonInferiority(0.05, 0.05);
            for (int i = 0; i < max && pairwise.verdict() == SequentialNonInferiority.Verdict.UNDECIDED; i++) {
                pairwise.add(q[i], f[i]);
            }
            int batch = 1 + random.nextInt(16);
            SequentialNonInferiority batched = new SequentialNonInferiority(0.05, 0.05);
            for (FleetVerification.Batch b : FleetVerification.batches(max, batch)) {
                if (batched.verdict() != SequentialNonInferiority.Verdict.UNDECIDED) {
                    break;
                }
                FleetVerification.feed(batched, b, episodes(b, q), episodes(b, f));
            }
            assertEquals(pairwise.verdict(), batched.verdict());
            assertEquals(pairwise.pairs(), batched.pairs());
            assertEquals(pairwise.difference(), batched.difference());
        }
    }

    @Test
    void anEpisodeOfAnotherSeedOrAMissingOneIsRefused() {
        FleetVerification.Batch b = new FleetVerification.Batch(8, 2);
        boolean[] ok = {true, true, true, true, true, true, true, true, true, true};
        Map<Integer, JsonNode> q = episodes(b, ok);
        Map<Integer, JsonNode> f = episodes(b, ok);
        ((ObjectNode) f.get(1).path("seeding")).put("seed", "100");
        SequentialNonInferiority t = new SequentialNonInferiority(0.05, 0.05);
        assertTrue(assertThrows(IllegalStateException.class, () -> FleetVerification.feed(t, b, q, f)).getMessage()
                .contains("seed 100"));
        Map<Integer, JsonNode> short1 = new TreeMap<>(q);
        short1.remove(0);
        assertThrows(IllegalStateException.class, () -> FleetVerification.feed(
                new SequentialNonInferiority(0.05, 0.05), b, short1, episodes(b, ok)));
    }

    @Test
    void idsAreContentKeysThatSeparateWhatDiffers() {
        FleetVerification.Side q = new FleetVerification.Side("candidate", "/a/q", "q", "e1", "p1", "qkey");
        FleetVerification.Side f = new FleetVerification.Side("reference", "/a/f", "f", "e0", "p0", "fkey");
        FleetVerification.Settings s = new FleetVerification.Settings(0.05, 0.95, 400, 0, WALL, 8);
        String id = FleetVerification.verificationId(q, f, "wall", s);
        assertEquals(id, FleetVerification.verificationId(q, f, "wall",
                new FleetVerification.Settings(0.05, 0.95, 100, 0, WALL, 4)), "pair limit and batch are not the test");
        assertNotEquals(id, FleetVerification.verificationId(q, f, "wall",
                new FleetVerification.Settings(0.1, 0.95, 400, 0, WALL, 8)));
        assertNotEquals(id, FleetVerification.verificationId(q, f, "wall",
                new FleetVerification.Settings(0.05, 0.95, 400, 1, WALL, 8)));
        assertEquals("verify-fkey-16-8", FleetVerification.studyId(f, new FleetVerification.Batch(16, 8)));
        assertThrows(IllegalArgumentException.class, () -> new FleetVerification.Settings(0.05, 0.95, 400, 0, WALL, 0));
    }

    @Test
    void theRecordSaysRunningUntilTheLastBatch() {
        FleetVerification.Side q = new FleetVerification.Side("candidate", "/a/q", "q", "e1", "p1", "qkey");
        FleetVerification.Side f = new FleetVerification.Side("reference", "/a/f", "f", "e0", "p0", "fkey");
        FleetVerification.Settings s = new FleetVerification.Settings(0.05, 0.95, 400, 0, WALL, 8);
        SequentialNonInferiority t = new SequentialNonInferiority(0.05, 0.05);
        t.add(true, true);
        FleetVerification.Result r = new FleetVerification.Result("verify-x", t, List.of("a", "b"), 2, 2, "cpu", 3.0);
        ObjectNode running = FleetVerification.record(r, q, f, "wall", s, false, "search-1");
        assertEquals("RUNNING", running.path("verdict").asText());
        assertEquals("search-1", running.path("search_id").asText());
        assertEquals("q", running.path("candidate").path("name").asText());
        assertEquals(2, running.path("study_ids").size());
        assertEquals("UNDECIDED", FleetVerification.record(r, q, f, "wall", s, true, null).path("verdict").asText());
    }

    /**
     * A batch study's request is the very one it always was (the planner takes a study id again only with the same
     * request), now that its head and budget come from StudyRunner as a spec's study's do.
     */
    @Test
    void aBatchStudysRequestIsTheSameAsBefore() {
        FleetVerification.Side q = new FleetVerification.Side("candidate", "/a/q", "q", "e1", "p1", "qkey");
        PlannerBudget budget = new PlannerBudget(5, 300, 30, 1.0, 10, 10, 0.5, 5);
        FleetVerification.Settings s = new FleetVerification.Settings(0.05, 0.95, 400, 3, budget, 8);
        FleetVerification.Batch b = new FleetVerification.Batch(16, 8);
        assertEquals("{\"study_id\":\"verify-qkey-16-8\",\"name\":\"verify q episodes 16..23\",\"environment\":\"wall\","
                + "\"episodes\":8,\"seed_base\":99,\"seed_offset\":1585,\"split\":\"validation\",\"planner_seed\":3,"
                + "\"evaluate_cem_steps\":false,\"spec\":{\"verification_batch\":{\"model\":\"q\",\"from\":16,\"pairs\":8,"
                + "\"budget\":\"" + budget.key() + "\"}},\"configurations\":[{\"label\":\"q\","
                + "\"encoder\":{\"bundle\":\"/a/q\",\"sha256\":\"e1\"},\"predictor\":{\"bundle\":\"/a/q\",\"sha256\":\"p1\"},"
                + "\"budget\":{\"horizon\":5,\"samples\":300,\"top_k\":30,\"var_scale\":1.0,\"opt_steps\":10,"
                + "\"max_iter\":10,\"objective_alpha\":0.5,\"executed_actions\":5}}]}",
                FleetVerification.request(q, b, FleetVerification.studyId(q, b), "wall", s).toString());
    }

    /** A bundle outside the services' folders reaches them through the artifact store, copied once, staged. */
    @Test
    void aBundleOutsideTheRootsIsCopiedIntoTheStoreOnce(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path store = dir.resolve("store");
        java.nio.file.Path models = java.nio.file.Files.createDirectories(dir.resolve("models/wall"));
        java.nio.file.Files.writeString(models.resolve("model.json"), "{}");
        java.nio.file.Path outside = java.nio.file.Files.createDirectories(dir.resolve("elsewhere/q"));
        java.nio.file.Files.writeString(outside.resolve("model.json"), "{\"q\": 1}");
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        FleetVerification fleet = new FleetVerification(null, null, new java.io.PrintStream(printed, true))
                .localStore(store, List.of(store, dir.resolve("models")));
        assertEquals(models.toRealPath().toString(), fleet.served(models, "abc"), "inside a root: as it is");
        String served = fleet.served(outside, "abc");
        java.nio.file.Path copy = java.nio.file.Path.of(served);
        assertTrue(copy.startsWith(store.toRealPath()), served);
        assertEquals("{\"q\": 1}", java.nio.file.Files.readString(copy.resolve("model.json")));
        assertTrue(printed.toString().contains("copied into the artifact store"));
        java.nio.file.Files.writeString(copy.resolve("model.json"), "kept");
        assertEquals(served, fleet.served(outside, "abc"));
        assertEquals("kept", java.nio.file.Files.readString(copy.resolve("model.json")), "copied once");
        // no local store (a remote stack): the path as it is, the services' own
        assertEquals(outside.toRealPath().toString(), new FleetVerification(null, null, System.out).served(outside, "abc"));
    }

    /** Collector episodes (canonical proto3 JSON: int64 as a string) of a batch with the given successes. */
    private static Map<Integer, JsonNode> episodes(FleetVerification.Batch b, boolean[] success) {
        Map<Integer, JsonNode> out = new TreeMap<>();
        for (int n = 0; n < b.pairs(); n++) {
            ObjectNode e = JSON.createObjectNode().put("success", success[b.from() + n]);
            e.putObject("episodeId").put("index", n);
            e.putObject("seeding").put("seed", Long.toString(b.seed(n)));
            out.put(n, e);
        }
        return out;
    }

    /** The ids stored on the collector stay what they were: SHA-256 of the parts, each ended by a NUL. */
    @Test
    void shaHashesThePartsEachEndedByANul() {
        // python3: hashlib.sha256(b"a\0b\0").hexdigest()
        assertEquals("8fb20ef63ced4145fc2e983ffe597d1dcff39154c3bf21f0fa9dde6a0c50fdc9", FleetVerification.sha("a", "b"));
    }
}
