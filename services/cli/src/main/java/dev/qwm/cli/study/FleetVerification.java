package dev.qwm.cli.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.analysis.stats.Interval;
import dev.qwm.analysis.stats.SequentialNonInferiority;
import dev.qwm.files.StagedWrite;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.progress.ProgressLine;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * {@code ./qwm verify} through the services: the paired sequential test of {@code PairedVerification}, with its
 * episodes planned by the planner fleet in paired batches. Batch k of B pairs is two studies, one per side, of the
 * episodes kB..kB+B-1 of the verification's sequence (seeds 99n+1 of the validation split: seed base 99, offset
 * 99kB+1), so each side plans exactly the episodes it plans in process. A side's study id is its content key (model,
 * budget, planner seed) and its episode range: a verification run again finds its studies on the stack and goes on
 * (nothing is planned twice), and a reference's batches serve every verification against it. The pairs of a batch go
 * into the test in episode order and it stops at the first that decides, so the verdict is the in-process one on the
 * same episodes. After each batch the verification's record is stored by the collector ({@code /api/v1/verifications}).
 */
public final class FleetVerification {

    public static final int DEFAULT_BATCH_PAIRS = 8;
    static final long SEED_BASE = 99;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How a verification plans and when it stops. */
    public record Settings(double margin, double confidence, int maxPairs, long plannerSeed, PlannerBudget budget,
                           int batchPairs) {
        public Settings {
            if (maxPairs < 1) {
                throw new IllegalArgumentException("--max-episodes must be at least 1, got " + maxPairs);
            }
            if (batchPairs < 1 || batchPairs > 10_000) {
                throw new IllegalArgumentException("--batch must be 1..10000 pairs, got " + batchPairs);
            }
            if (!(confidence > 0 && confidence < 1)) {
                throw new IllegalArgumentException("--confidence must lie in (0, 1), got " + confidence);
            }
            if (!(margin > 0 && margin < 1)) {
                throw new IllegalArgumentException("--margin must lie in (0, 1), got " + margin);
            }
        }
    }

    /** A batch: pairs {@code from} .. {@code from + pairs - 1} of the sequence. */
    record Batch(int from, int pairs) {
        long seedOffset() {
            return SEED_BASE * from + 1;
        }

        long seed(int n) {
            return SEED_BASE * (from + n) + 1;
        }
    }

    /** One side as the services see it: its bundle folder, name, components and content key. */
    record Side(String role, String bundle, String name, String encoderSha, String predictorSha, String key) {
    }

    /**
     * What a verification saw: its test, the studies it ran as, the episodes those hold (both sides) and how many
     * of them this run dispatched (the rest were on the stack already), and the CPUs the planners reported.
     */
    public record Result(String verificationId, SequentialNonInferiority test, List<String> studyIds,
                         int episodesStored, int episodesDispatched, String machine, double episodeSeconds,
                         Map<Integer, Boolean> candidate, Map<Integer, Boolean> reference) {
        /** Without the successes of each pair (what the record needs). */
        Result(String verificationId, SequentialNonInferiority test, List<String> studyIds, int episodesStored,
               int episodesDispatched, String machine, double episodeSeconds) {
            this(verificationId, test, studyIds, episodesStored, episodesDispatched, machine, episodeSeconds, Map.of(),
                    Map.of());
        }
    }

    private final ServiceClient planner;
    private final ServiceClient collector;
    private final PrintStream out;
    private Path artifactStore;
    private List<Path> bundleRoots;
    private String searchId;
    private Duration timeout = Duration.ofHours(12);
    private long pollMillis = 1000;
    private LongSupplier nanos = System::nanoTime;

    public FleetVerification(ServiceClient planner, ServiceClient collector, PrintStream out) {
        this.planner = planner;
        this.collector = collector;
        this.out = out;
    }

    /**
     * The local stack's artifact store and the folders its services load bundles from: a bundle outside them is
     * copied into the store (staged, under its content key) so that the services may load it. Without them (a remote
     * stack) bundle paths are sent as they are and must be the services' own.
     */
    public FleetVerification localStore(Path store, List<Path> roots) {
        this.artifactStore = store;
        this.bundleRoots = List.copyOf(roots);
        return this;
    }

    /** Tags the verification with the autoquant search it confirms a candidate of. */
    public FleetVerification search(String id) {
        this.searchId = id;
        return this;
    }

    public FleetVerification timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    FleetVerification pollMillis(long ms) {
        this.pollMillis = ms;
        return this;
    }

    /**
     * Runs (or goes on with) the verification of {@code candidate} against {@code reference}; {@code bar} (may be
     * null) is stepped to the pairs in the test.
     */
    public Result run(ModelBundle candidate, ModelBundle reference, Settings s, ProgressLine bar) {
        String environment = reference.manifest().environment();
        Side q = side("candidate", candidate, s);
        Side f = side("reference", reference, s);
        String id = verificationId(q, f, environment, s);
        SequentialNonInferiority test = new SequentialNonInferiority(s.margin(), 1 - s.confidence());
        List<String> studies = new ArrayList<>();
        Set<String> machines = new LinkedHashSet<>();
        int stored = 0;
        int dispatched = 0;
        double seconds = 0;
        Map<Integer, Boolean> qSuccess = new TreeMap<>();
        Map<Integer, Boolean> fSuccess = new TreeMap<>();
        out.printf(Locale.ROOT, "verification %s through the services, batches of %d pairs%n", id, s.batchPairs());
        for (Batch b : batches(s.maxPairs(), s.batchPairs())) {
            String fStudy = studyId(f, b);
            String qStudy = studyId(q, b);
            // both sides dispatched before either is awaited: the fleet plans them side by side
            dispatched += submit(f, b, fStudy, environment, s);
            dispatched += submit(q, b, qStudy, environment, s);
            studies.add(fStudy);
            studies.add(qStudy);
            Map<Integer, JsonNode> fe = await(fStudy, b, test, bar, "reference");
            Map<Integer, JsonNode> qe = await(qStudy, b, test, bar, "candidate");
            for (Map<Integer, JsonNode> side : List.of(fe, qe)) {
                for (JsonNode e : side.values()) {
                    machines.add(machine(e));
                    seconds += e.path("wallTimeMs").asLong(0) / 1000.0;
                }
                stored += side.size();
            }
            int before = test.pairs();
            feed(test, b, qe, fe);
            for (int n = 0; n < test.pairs() - before; n++) {
                qSuccess.put(b.from() + n, qe.get(n).path("success").asBoolean(false));
                fSuccess.put(b.from() + n, fe.get(n).path("success").asBoolean(false));
            }
            if (bar != null) {
                Interval d = test.interval();
                bar.stepTo(test.pairs(), String.format(Locale.ROOT, "Δ %+.3f [%+.3f, %+.3f], %d vs %d only",
                        test.difference(), d.lower(), d.upper(), test.onlyCandidate(), test.onlyReference()));
            }
            boolean last = test.verdict() != SequentialNonInferiority.Verdict.UNDECIDED
                    || b.from() + b.pairs() >= s.maxPairs();
            Result r = new Result(id, test, List.copyOf(studies), stored, dispatched, String.join("; ", machines), seconds,
                    java.util.Collections.unmodifiableMap(qSuccess), java.util.Collections.unmodifiableMap(fSuccess));
            collector.put("/api/v1/verifications/" + id, record(r, q, f, environment, s, last, searchId));
            if (last) {
                return r;
            }
        }
        throw new IllegalStateException("unreachable: the batches end at --max-episodes");
    }

    /** The batches of a verification of at most {@code maxPairs} pairs. */
    static List<Batch> batches(int maxPairs, int batchPairs) {
        List<Batch> out = new ArrayList<>();
        for (int from = 0; from < maxPairs; from += batchPairs) {
            out.add(new Batch(from, Math.min(batchPairs, maxPairs - from)));
        }
        return out;
    }

    /**
     * The batch's pairs into the test in episode order, up to the first that decides; each episode must be the one
     * the batch asked for (its seed), or the pairing would be wrong.
     */
    static void feed(SequentialNonInferiority test, Batch b, Map<Integer, JsonNode> candidate,
                     Map<Integer, JsonNode> reference) {
        for (int n = 0; n < b.pairs() && test.verdict() == SequentialNonInferiority.Verdict.UNDECIDED; n++) {
            JsonNode q = candidate.get(n);
            JsonNode f = reference.get(n);
            if (q == null || f == null) {
                throw new IllegalStateException("episode " + (b.from() + n) + " of the verification is missing from the"
                        + " collector's " + (q == null ? "candidate" : "reference") + " study");
            }
            for (JsonNode e : List.of(q, f)) {
                long seed = e.path("seeding").path("seed").asLong(-1);
                if (seed != b.seed(n)) {
                    throw new IllegalStateException("episode " + (b.from() + n) + " of the verification was planned with"
                            + " seed " + seed + ", not " + b.seed(n) + ": its study is not this verification's batch");
                }
            }
            test.add(q.path("success").asBoolean(false), f.path("success").asBoolean(false));
        }
    }

    /** {@code verify-<side key>-<first episode>-<pairs>}: what makes the batch study this study. */
    static String studyId(Side side, Batch b) {
        return "verify-" + side.key() + "-" + b.from() + "-" + b.pairs();
    }

    /**
     * A verification's content key: both sides, the environment, the budget, the planner seed, the margin and the
     * confidence (not the batch size, nor the pair limit: the same test looked at longer is the same verification).
     */
    static String verificationId(Side q, Side f, String environment, Settings s) {
        return "verify-" + sha(q.key(), f.key(), environment, s.budget().key(), Long.toString(s.plannerSeed()),
                Double.toString(s.margin()), Double.toString(s.confidence())).substring(0, 16);
    }

    private Side side(String role, ModelBundle b, Settings s) {
        Map<String, dev.qwm.onnx.bundle.BundleComponent> c = b.manifest().components();
        String enc = c.get(BundleManifest.VISUAL_ENCODER).sha256();
        String pred = c.get(BundleManifest.PREDICTOR).sha256();
        String bundle = served(b.directory(), enc + pred);
        // the path is part of the key: the planner takes a study id again only with the very same request
        String key = sha(bundle, b.manifest().name(), enc, pred, b.manifest().environment(), s.budget().key(),
                Long.toString(s.plannerSeed())).substring(0, 12);
        return new Side(role, bundle, b.manifest().name(), enc, pred, key);
    }

    /** The bundle's folder as the services load it (copied into the local store if it lies outside the roots). */
    String served(Path dir, String content) {
        Path real;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read bundle " + dir + ": " + e.getMessage(), e);
        }
        if (bundleRoots == null || bundleRoots.stream().anyMatch(r -> real.startsWith(realOrSelf(r)))) {
            return real.toString();
        }
        Path target = artifactStore.resolve("verify-" + sha(content).substring(0, 16));
        if (!Files.isDirectory(target)) {
            try {
                Files.createDirectories(artifactStore);
                StagedWrite.folder(target, "artifact store", "artifact", p -> false).write(staged -> {
                    StudyLog.copyBundle(real, staged);
                    return null;
                });
            } catch (IOException e) {
                throw new UncheckedIOException("cannot copy " + real + " into the artifact store " + artifactStore
                        + ": " + e.getMessage(), e);
            }
            out.printf(Locale.ROOT, "%s lies outside the folders the services load bundles from: copied into the"
                    + " artifact store as %s%n", real, target);
        }
        return realOrSelf(target).toString();
    }

    private static Path realOrSelf(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    /** Submits a side's batch study; returns the episodes dispatched now (0 if the stack has it already). */
    private int submit(Side side, Batch b, String studyId, String environment, Settings s) {
        JsonNode created = planner.post("/api/v1/studies", request(side, b, studyId, environment, s));
        return created.path("existing").asBoolean() ? 0 : b.pairs();
    }

    /** A side's batch study as the planner gets it: the very same request each time, so it is the same study. */
    static ObjectNode request(Side side, Batch b, String studyId, String environment, Settings s) {
        ObjectNode body = StudyRunner.studyRequest(studyId, "verify " + side.name() + " episodes " + b.from() + ".."
                + (b.from() + b.pairs() - 1), environment, b.pairs(), SEED_BASE, b.seedOffset(), "validation",
                s.plannerSeed(), false);
        ObjectNode spec = body.putObject("spec").putObject("verification_batch");
        spec.put("model", side.name()).put("from", b.from()).put("pairs", b.pairs()).put("budget", s.budget().key());
        ObjectNode c = body.putArray("configurations").addObject();
        c.put("label", side.name());
        c.putObject("encoder").put("bundle", side.bundle()).put("sha256", side.encoderSha());
        c.putObject("predictor").put("bundle", side.bundle()).put("sha256", side.predictorSha());
        StudyRunner.putBudget(c, s.budget());
        return body;
    }

    /** Waits until the collector holds every episode of a batch study; by index within the batch. */
    private Map<Integer, JsonNode> await(String studyId, Batch b, SequentialNonInferiority test, ProgressLine bar,
                                         String role) {
        long deadline = nanos.getAsLong() + timeout.toNanos();
        while (true) {
            Optional<JsonNode> study = collector.find("/api/v1/studies/" + studyId);
            if (study.isPresent()) {
                int failed = study.get().path("summary").path("failedCount").asInt();
                if (failed > 0) {
                    throw new IllegalStateException(failed + " episode(s) of " + role + " study " + studyId + " failed"
                            + " (dead-lettered by the planners): the verification cannot pair them. See ./qwm study"
                            + " status " + studyId);
                }
                Map<Integer, JsonNode> episodes = new TreeMap<>();
                for (JsonNode e : collector.get("/api/v1/studies/" + studyId + "/episodes").path("episodes")) {
                    episodes.put(e.path("episodeId").path("index").asInt(0), e);
                }
                if (bar != null) {
                    bar.stepTo(test.pairs(), String.format(Locale.ROOT, "pairs %d..%d: %s %d/%d stored", b.from(),
                            b.from() + b.pairs() - 1, role, episodes.size(), b.pairs()));
                }
                if (episodes.size() >= b.pairs()) {
                    return episodes;
                }
            }
            if (nanos.getAsLong() > deadline) {
                throw new IllegalStateException("study " + studyId + " not complete after " + timeout.toMinutes()
                        + " min; run the same ./qwm verify again to go on with it");
            }
            StudyRunner.sleep(pollMillis);
        }
    }

    /** The record the collector stores: the test as it stands after a batch ({@code RUNNING} until it ends). */
    static ObjectNode record(Result r, Side q, Side f, String environment, Settings s, boolean last,
                             String searchId) {
        SequentialNonInferiority t = r.test();
        Interval d = t.interval();
        ObjectNode o = JSON.createObjectNode();
        o.put("verification_id", r.verificationId());
        if (searchId != null) {
            o.put("search_id", searchId);
        }
        o.put("environment", environment);
        for (Side side : List.of(q, f)) {
            o.putObject(side.role()).put("name", side.name()).put("bundle", side.bundle())
                    .put("sha256", side.encoderSha() + ":" + side.predictorSha());
        }
        o.put("margin", s.margin()).put("confidence", s.confidence()).put("max_pairs", s.maxPairs())
                .put("batch_pairs", s.batchPairs()).put("budget", s.budget().key())
                .put("budget_label", s.budget().label()).put("planner_seed", s.plannerSeed());
        o.put("verdict", last ? t.verdict().name() : "RUNNING");
        o.put("difference", t.difference());
        o.putObject("interval").put("lower", d.lower()).put("upper", d.upper());
        o.put("pairs", t.pairs()).put("both", t.bothSucceed()).put("only_candidate", t.onlyCandidate())
                .put("only_reference", t.onlyReference()).put("neither", t.neither());
        t.fixedPairs(0.8).ifPresent(n -> o.put("fixed_pairs_80", n));
        o.put("episodes_planned", r.episodesStored());
        o.put("episode_seconds", r.episodeSeconds());
        r.studyIds().forEach(o.putArray("study_ids")::add);
        o.put("machine", r.machine().isEmpty() ? "unreported" : r.machine());
        return o;
    }

    /** The CPU an episode's planner reported, e.g. {@code Intel Xeon (avx512-vnni), ORT 1.29.0}. */
    private static String machine(JsonNode e) {
        JsonNode on = e.path("ranOn");
        if (on.path("cpuModel").asText().isEmpty()) {
            return "unreported";
        }
        return on.path("cpuModel").asText() + " (" + on.path("cpuClass").asText() + "), ORT "
                + on.path("onnxRuntime").asText();
    }

    /**
     * Stores a verification planned in process (./qwm verify --in-process) as the collector stores the fleet's: the
     * same record, with no batch studies (the test looked after every pair: batch_pairs 1), the episodes of both
     * sides its test used, this run's wall time and this machine. Its id is the fleet's key with the bundles' paths
     * as given here, marked in-process, so that it never takes the place of a fleet verification's record.
     *
     * @return the verification's id
     */
    public static String storeInProcess(ServiceClient collector, ModelBundle candidate, ModelBundle reference,
                                        SequentialNonInferiority test, Settings s, double seconds, String machine,
                                        String searchId) {
        String environment = reference.manifest().environment();
        Side q = localSide("candidate", candidate, s);
        Side f = localSide("reference", reference, s);
        String id = "verify-" + sha(q.key(), f.key(), environment, s.budget().key(), Long.toString(s.plannerSeed()),
                Double.toString(s.margin()), Double.toString(s.confidence()), "in-process").substring(0, 16);
        Result r = new Result(id, test, List.of(), 2 * test.pairs(), 0, machine, seconds);
        collector.put("/api/v1/verifications/" + id, record(r, q, f, environment, s, true, searchId));
        return id;
    }

    private static Side localSide(String role, ModelBundle b, Settings s) {
        Map<String, dev.qwm.onnx.bundle.BundleComponent> c = b.manifest().components();
        String enc = c.get(BundleManifest.VISUAL_ENCODER).sha256();
        String pred = c.get(BundleManifest.PREDICTOR).sha256();
        String bundle = b.directory().toAbsolutePath().normalize().toString();
        String key = sha(bundle, b.manifest().name(), enc, pred, b.manifest().environment(), s.budget().key(),
                Long.toString(s.plannerSeed())).substring(0, 12);
        return new Side(role, bundle, b.manifest().name(), enc, pred, key);
    }

    /**
     * Stores an autoquant search's record (its verifications are tagged with its id: by {@link #search} on the
     * fleet, by {@link #storeInProcess}'s searchId in process).
     */
    public static void storeSearch(ServiceClient collector, String id, JsonNode record) {
        collector.put("/api/v1/searches/" + id, record);
    }

    /** The collector this fleet stores its verifications in. */
    public ServiceClient collector() {
        return collector;
    }

    /** SHA-256 of the parts (each ended by a NUL, so that no two lists of parts run together alike), in hex. */
    public static String sha(String... parts) {
        StringBuilder joined = new StringBuilder();
        for (String p : parts) {
            joined.append(p).append('\0');
        }
        return ModelBundle.sha256(joined.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
