package dev.qwm.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.analysis.autoquant.AutoQuantBudget;
import dev.qwm.analysis.autoquant.AutoQuantFront;
import dev.qwm.analysis.autoquant.CandidateSearch;
import dev.qwm.analysis.sensitivity.LayerSensitivity;
import dev.qwm.analysis.sensitivity.MixedPrecisionPlanner;
import dev.qwm.analysis.sensitivity.SensitivityIo;
import dev.qwm.analysis.stats.Interval;
import dev.qwm.analysis.stats.PairedDifference;
import dev.qwm.analysis.stats.Proportions;
import dev.qwm.analysis.stats.SequentialNonInferiority;
import dev.qwm.cli.study.FleetVerification;
import dev.qwm.cli.study.ServiceClient;
import dev.qwm.cli.options.NonInferiorityOptions;
import dev.qwm.cli.options.PlannerSeedOption;
import dev.qwm.cli.options.OrtThreadsOption;
import dev.qwm.cli.options.PlannerBudgetOptions;
import dev.qwm.cli.options.PushtDatasetOption;
import dev.qwm.files.StagedWrite;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.runtime.CpuFeatures;
import dev.qwm.onnx.runtime.RunEnvironment;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.eval.EpisodeSource;
import dev.qwm.planning.eval.EpisodeSources;
import dev.qwm.planning.eval.RolloutDriftMeter;
import dev.qwm.planning.mpc.EpisodeResult;
import dev.qwm.planning.mpc.EpisodeSpec;
import dev.qwm.planning.mpc.PlanningListener;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.progress.ProgressLine;
import dev.qwm.quant.ModuleQuantizer;
import dev.qwm.quant.Progress;
import dev.qwm.quant.bench.BundleBenchmark;
import dev.qwm.quant.bundle.BundleQuantizer;
import dev.qwm.quant.bundle.CalibratingWorldModel;
import dev.qwm.quant.bundle.PlanningCalibration;
import dev.qwm.quant.calib.ActivationCollector;
import dev.qwm.quant.calib.CalibrationData;
import dev.qwm.quant.manifest.ModuleReport;
import dev.qwm.quant.manifest.ModuleWeightBytes;
import dev.qwm.quant.manifest.QuantizationManifest;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.CalibrationSettings;
import dev.qwm.quant.recipe.ModuleRecipe;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.RecipeIo;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.recipe.WorldModelModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./qwm autoquant}: the quantized world model that fits a budget and still plans as well as full precision.
 * <ol>
 *   <li>measure: one calibration pass (FP planning episodes), then every layer's output SQNR and weight bytes at
 *       every format (weight bits 8/6/4/3 per channel or in groups of 32 or 128, RTN and OMSE; for a time budget
 *       also int8 activations inside the kernel);</li>
 *   <li>search: every uniform format and the greedy mixed allocations under the budget
 *       ({@link CandidateSearch}), ranked by their summed layer noise;</li>
 *   <li>the best few are quantized for real (their cost taken from the manifest, or timed by the bench for a time
 *       budget) and ranked by rollout drift against FP on validation segments;</li>
 *   <li>the best of those, and uniform W4 RTN per channel for comparison, are confirmed by {@code verify}'s
 *       sequential paired test ({@link PairedVerification}) on the same episodes: FP plans each episode once.</li>
 * </ol>
 * Everything is kept in a working folder beside {@code --out} while it runs ({@code --resume} goes on from it,
 * never planning a confirmed candidate again); {@code --out} is written in one rename at the end.
 */
@Command(name = "autoquant", mixinStandardHelpOptions = true,
        description = "Search per-layer quantization formats under a budget (weight bytes or time per CEM step,"
                + " relative to full precision), rank candidates by layer SQNR and rollout drift, and confirm the best"
                + " by planning (verify's sequential paired test). Writes the chosen recipe, its bundle and the front.",
        footer = {"", "Examples:",
                "  ./qwm autoquant --bundle models/wall --budget bytes=0.25 --out /tmp/wall-aq",
                "  ./qwm autoquant --bundle models/wall --budget ms=0.5 --margin 0.1 --max-episodes 100 --out /tmp/aq",
                "  ./qwm autoquant --bundle models/wall --budget bytes=0.25 --out /tmp/wall-aq --resume"})
public final class AutoQuantCommand implements Callable<Integer> {

    static final String BASELINE = "rtn-w4-a16";
    /** Settings a resumed search may change: how many candidates to confirm, and pairs at most for those not done. */
    private static final Set<String> RESUMABLE_WITH_ANOTHER = Set.of("maxEpisodes", "confirm");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final List<WeightSpec> WEIGHT_FORMATS = List.of(WeightSpec.perChannel(8), WeightSpec.grouped(8, 128),
            WeightSpec.perChannel(6), WeightSpec.grouped(6, 128), WeightSpec.perChannel(4), WeightSpec.grouped(4, 128),
            WeightSpec.grouped(4, 32), WeightSpec.perChannel(3), WeightSpec.grouped(3, 128), WeightSpec.grouped(3, 32));

    @Option(names = "--bundle", required = true, paramLabel = "DIR", description = "The full-precision bundle.")
    Path bundle;

    @Option(names = "--budget", required = true, paramLabel = "KIND=F", description = "bytes=F: weight bytes of"
            + " encoder and predictor together at most F times FP's; ms=F: time per CEM step on this CPU at most F"
            + " times FP's (activations may be quantized: int8 inside MatMulNBits, or static W8A8 as ./qwm quantize"
            + " --preset w8a8 makes it): " + AutoQuantBudget.TIME_RULE + ".")
    String budgetText;

    @Option(names = "--modules", defaultValue = "both", description = "encoder, predictor or both (default:"
            + " ${DEFAULT-VALUE}); the others stay in full precision and count at their FP bytes.")
    String modules;

    @Option(names = "--drift-candidates", defaultValue = "6", description = "Candidates quantized and ranked by"
            + " rollout drift (default ${DEFAULT-VALUE}).")
    int driftCandidates;

    @Option(names = "--confirm", defaultValue = "3", description = "Candidates confirmed by planning, besides uniform"
            + " W4 RTN per channel (default ${DEFAULT-VALUE}).")
    int confirm;

    @Option(names = "--calibration-episodes", defaultValue = "10", description = "FP planning episodes (training"
            + " split) whose layer inputs measure each format's SQNR (default ${DEFAULT-VALUE}).")
    int calibrationEpisodes;

    @Option(names = "--drift-segments", defaultValue = "32", description = "Validation segments of 5 macro steps"
            + " for rollout drift (default ${DEFAULT-VALUE}).")
    int driftSegments;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the result goes: recipe.yaml,"
            + " bundle/, front.md, front.svg, autoquant.json and the episode logs; refused if it holds one unless"
            + " --force.")
    Path out;

    @Option(names = "--resume", description = "Go on from the working folder of an interrupted search with the same"
            + " settings (confirmed candidates are not planned again).")
    boolean resume;

    @Option(names = "--force", description = "Start anew over an interrupted search, and replace a result in --out.")
    boolean force;

    /** Stops after this many verifications in this run, leaving the working folder to --resume (exit 5). */
    @Option(names = "--stop-after-confirmed", hidden = true)
    Integer stopAfterConfirmed;

    @Option(names = "--through-services", description = "Confirm through the services: each confirmation is a"
            + " ./qwm verify on the planner fleet (the local stack, or --planner/--collector), in batches of --batch"
            + " pairs, stored by the collector and tagged with this search, which the collector stores too.")
    boolean throughServices;

    @Option(names = "--batch", defaultValue = "" + FleetVerification.DEFAULT_BATCH_PAIRS, description = "With"
            + " --through-services: pairs per batch (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--planner", paramLabel = "URL", description = "With --through-services: a remote planner service.")
    String plannerUrl;

    @Option(names = "--collector", paramLabel = "URL", description = "With --through-services: a remote collector."
            + " In process: the collector that stores each confirmation's verdict and the search (default: the local"
            + " stack's when it runs; with neither, nothing is stored but the result folder).")
    String collectorUrl;

    /** FP's least CPU time per CEM step under a time budget (NaN: not timed). */
    private double fullPrecisionMs = Double.NaN;

    @Mixin
    NonInferiorityOptions verification;

    @Mixin
    PlannerSeedOption plannerSeed;

    @Mixin
    PlannerBudgetOptions budgetOptions;

    @Mixin
    PushtDatasetOption datasetOption;

    @Mixin
    OrtThreadsOption threadsOption;

    /** The measured formats: every layer's error and bytes, and the weight bytes outside the searched layers. */
    record Measurement(List<LayerSensitivity> layers, long fullPrecisionBytes, long otherBytes) {
    }

    /**
     * A candidate quantized for real; {@code fit} says how its measured cost stands against the budget (null in a
     * working folder written before it was kept: only candidates under the budget were kept then).
     */
    record Made(String name, String description, long bytes, double noise, double costRatio, double drift,
                AutoQuantBudget.Fit fit) {

        AutoQuantBudget.Fit fitOrUnder() {
            return fit == null ? AutoQuantBudget.Fit.UNDER : fit;
        }

        boolean under() {
            return fitOrUnder() == AutoQuantBudget.Fit.UNDER;
        }
    }

    /** What a confirmed candidate's verification found (a line of confirmed.jsonl). */
    record Confirmed(String name, String verdict, int pairs, double delta, double lower, double upper, int planned,
                     int both, int onlyCandidate, int onlyReference, int neither) {
    }

    @Override
    public Integer call() throws Exception {
        AutoQuantBudget budget = AutoQuantBudget.parse(budgetText);
        if (verification.maxEpisodes() < 1 || confirm < 1 || driftCandidates < confirm || calibrationEpisodes < 1 || driftSegments < 1) {
            throw new IllegalArgumentException("--max-episodes, --confirm, --calibration-episodes and --drift-segments"
                    + " must be at least 1, and --drift-candidates at least --confirm; got " + verification.maxEpisodes() + ", "
                    + confirm + ", " + calibrationEpisodes + ", " + driftSegments + ", " + driftCandidates);
        }
        if (resume && force) {
            throw new IllegalArgumentException("--resume goes on from an interrupted search, --force starts anew: give one");
        }
        List<WorldModelModule> searched = WorldModelModule.parseSelection(modules);
        ModelBundle fp = ModelBundle.read(bundle);
        String environment = fp.manifest().environment();
        PlannerBudget planner = budgetOptions.resolve(environment);
        PairedVerification.Settings settings = new PairedVerification.Settings(verification.margin(),
                verification.confidence(), verification.maxEpisodes(), plannerSeed.seed(), planner);
        StagedWrite target = StagedWrite.folder(out, "--out", "autoquant result",
                        p -> Files.exists(p.resolve("autoquant.json")))
                .source(bundle, "--bundle").source(datasetOption.given(), "--dataset").force(force).check();
        Path work = target.target().resolveSibling("." + target.target().getFileName() + ".autoquant-work");
        ObjectNode wanted = JSON.createObjectNode();
        wanted.put("bundle", fp.reference());
        wanted.put("budget", budget.toString());
        wanted.put("modules", searched.toString());
        wanted.put("margin", verification.margin());
        wanted.put("confidence", verification.confidence());
        wanted.put("maxEpisodes", verification.maxEpisodes());
        wanted.put("planner", planner.label());
        wanted.put("seed", plannerSeed.seed());
        wanted.put("calibrationEpisodes", calibrationEpisodes);
        wanted.put("driftSegments", driftSegments);
        wanted.put("driftCandidates", driftCandidates);
        wanted.put("confirm", confirm);
        openWork(work, wanted);
        FleetVerification fleet = throughServices ? fleet() : null;
        // an in-process search is a record of its own, never the one the same search through the fleet writes
        String searchId = "autoquant-" + (fleet != null ? FleetVerification.sha(wanted.toString())
                : FleetVerification.sha(wanted.toString(), "in-process")).substring(0, 16);
        ServiceClient store = null;
        if (fleet != null) {
            fleet.search(searchId);
            store = fleet.collector();
            System.err.println("confirming through the services as search " + searchId);
        } else if (plannerUrl != null) {
            throw new IllegalArgumentException("--planner goes with --through-services (in process, --collector URL"
                    + " alone names the collector that stores the search)");
        } else {
            store = inProcessCollector();
            System.err.println(store == null ? "confirming in process; not stored by a collector: no local stack runs"
                    + " (./qwm services up) and no --collector URL is given"
                    : "confirming in process; verdicts and the search stored by the collector at " + store.baseUrl()
                    + " as search " + searchId);
        }

        SessionConfig ort = threadsOption.sessionConfig();
        CpuFeatures cpu = CpuFeatures.current();
        System.err.printf(Locale.ROOT, "qwm autoquant: %s (%s), budget %s, modules %s, margin %.2f, at most %d pairs"
                        + " per candidate, %s; on %s: %s; working in %s%n", fp.manifest().name(), environment, budget,
                searched, verification.margin(), verification.maxEpisodes(), planner.label(), RunEnvironment.of(cpu, ort).describe(), cpu.summary(), work);
        ModuleQuantizer.Options qOptions = new ModuleQuantizer.Options(ModuleQuantizer.Options.defaults().emit(), ort,
                Progress.NONE);

        // 1. per-layer SQNR and bytes at every format, from one calibration pass
        Measurement measured = measure(fp, searched, budget, qOptions, work.resolve("measure.json"));
        // a time budget is checked by timing the candidates (below), so it sets no byte limit
        long byteLimit = budget.kind() == AutoQuantBudget.Kind.BYTES
                ? (long) Math.floor(budget.limit(measured.fullPrecisionBytes())) : Long.MAX_VALUE;
        // 2. candidates under the budget, by predicted noise
        List<CandidateSearch.Candidate> all = CandidateSearch.candidates(measured.layers(), measured.otherBytes(), byteLimit);
        if (all.isEmpty()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "no candidate fits %s: full precision has"
                            + " %,d weight bytes, the limit is %,d, and the smallest format measured needs more",
                    budget, measured.fullPrecisionBytes(), byteLimit));
        }
        if (budget.kind() == AutoQuantBudget.Kind.BYTES) {
            System.err.printf(Locale.ROOT, "search: %d candidates under %s (FP %,d weight bytes, limit %,d)%n",
                    all.size(), budget, measured.fullPrecisionBytes(), byteLimit);
        } else {
            System.err.printf(Locale.ROOT, "search: %d uniform candidates, to be timed against %s (FP %,d weight"
                    + " bytes; a time budget sets no byte limit)%n", all.size(), budget, measured.fullPrecisionBytes());
        }

        // 3. the best few quantized for real, costed, and ranked by rollout drift against FP
        List<Made> made = makeAndRank(fp, all, budget, measured, qOptions, ort, work);
        List<Made> toConfirm = new ArrayList<>();
        Set<Map<String, String>> bitsConfirmed = new java.util.HashSet<>();
        for (Made m : made) {
            // candidates that differ only in group sizes plan alike: confirming both would spend episodes for little
            if (!m.name().equals(BASELINE) && m.under() && toConfirm.size() < confirm
                    && bitsConfirmed.add(bitsPerLayer(work.resolve("candidates").resolve(m.name()).resolve("bundle")))) {
                toConfirm.add(m);
            }
        }
        // the baseline right after the best, so that an interrupted search has the comparison first
        made.stream().filter(m -> m.name().equals(BASELINE) && m.under()).findFirst()
                .ifPresent(b -> toConfirm.add(Math.min(1, toConfirm.size()), b));

        // 4. confirmation by planning: the same episodes, FP planned once for all
        EpisodeSource source = EpisodeSources.forBundle(fp.manifest(), datasetOption.resolve(environment, "validation"));
        Map<String, Confirmed> confirmed = readConfirmed(work.resolve("confirmed.jsonl"));
        Map<String, Map<Integer, Boolean>> episodes = new LinkedHashMap<>();
        Map<Integer, Boolean> referenceEpisodes = new java.util.TreeMap<>();
        try (OnnxWorldModel fm = OnnxWorldModel.open(fp, ort);
             PairedVerification.Kept fKept = PairedVerification.Kept.open(work.resolve("verify/reference.episodes.jsonl"),
                     true, fm.reference(), planner, plannerSeed.seed(), System.err::println)) {
            int n = 0;
            int now = 0;
            for (Made m : toConfirm) {
                n++;
                Path qDir = work.resolve("candidates").resolve(m.name()).resolve("bundle");
                Path qLog = work.resolve("verify").resolve(m.name() + ".episodes.jsonl");
                Confirmed before = confirmed.get(m.name());
                if (fleet != null) {
                    // through the services a decided verification is read back from the collector's batches, not
                    // planned again: the fleet's studies are the log
                    if (before == null || (before.verdict().equals("UNDECIDED") && before.pairs() < verification.maxEpisodes())) {
                        if (stopAfterConfirmed != null && now >= stopAfterConfirmed) {
                            System.err.println("stopping after " + now + " verifications; go on with --resume");
                            return 5;
                        }
                        now++;
                    }
                    FleetVerification.Result r;
                    try (ProgressLine bar = ProgressLine.on(System.err).task("confirm " + n + "/" + toConfirm.size()
                            + " " + m.name()).total(verification.maxEpisodes()).unit("pair").start()) {
                        r = fleet.run(ModelBundle.read(qDir), fp, new FleetVerification.Settings(verification.margin(),
                                verification.confidence(), verification.maxEpisodes(), plannerSeed.seed(), planner,
                                batch), bar);
                    }
                    SequentialNonInferiority t = r.test();
                    Interval d = t.interval();
                    Confirmed c = new Confirmed(m.name(), t.verdict().name(), t.pairs(), t.difference(), d.lower(),
                            d.upper(), r.candidate().size(), t.bothSucceed(), t.onlyCandidate(), t.onlyReference(),
                            t.neither());
                    if (!c.equals(before)) {
                        appendConfirmed(work.resolve("confirmed.jsonl"), c);
                    }
                    confirmed.put(m.name(), c);
                    episodes.put(m.name(), r.candidate());
                    referenceEpisodes.putAll(r.reference());
                    continue;
                }
                // an undecided one goes on when a resumed search allows more pairs (the sequence holds at every look,
                // so looking on is sound); a decided one is never planned again
                if (before != null && !(before.verdict().equals("UNDECIDED") && before.pairs() < verification.maxEpisodes())) {
                    System.err.printf(Locale.ROOT, "confirm %d/%d %s: %s after %d pairs (confirmed before)%n", n,
                            toConfirm.size(), m.name(), confirmed.get(m.name()).verdict(), confirmed.get(m.name()).pairs());
                    episodes.put(m.name(), successes(dev.qwm.planning.eval.EpisodeLog.read(qLog, System.err::println)));
                    continue;
                }
                if (stopAfterConfirmed != null && now >= stopAfterConfirmed) {
                    System.err.println("stopping after " + now + " verifications; go on with --resume");
                    return 5;
                }
                now++;
                ModelBundle q = ModelBundle.read(qDir);
                long started = System.nanoTime();
                try (OnnxWorldModel qm = OnnxWorldModel.open(q, ort);
                     PairedVerification.Kept qKept = PairedVerification.Kept.open(qLog, true, qm.reference(), planner,
                             plannerSeed.seed(), System.err::println);
                     ProgressLine bar = ProgressLine.on(System.err).task("confirm " + n + "/" + toConfirm.size() + " "
                             + m.name()).total(verification.maxEpisodes()).unit("pair").start()) {
                    PairedVerification.Outcome o = PairedVerification.run(qm, fm, source, settings, qKept, fKept, bar);
                    SequentialNonInferiority t = o.test();
                    Interval d = t.interval();
                    Confirmed c = new Confirmed(m.name(), t.verdict().name(), t.pairs(), t.difference(), d.lower(),
                            d.upper(), qKept.results().size(), t.bothSucceed(), t.onlyCandidate(), t.onlyReference(), t.neither());
                    appendConfirmed(work.resolve("confirmed.jsonl"), c);
                    confirmed.put(m.name(), c);
                    episodes.put(m.name(), successes(qKept.results()));
                    if (store != null) {
                        storeVerdict(store, q, fp, t, planner, (System.nanoTime() - started) / 1e9,
                                RunEnvironment.of(cpu, ort).describe(), searchId);
                    }
                }
            }
            referenceEpisodes.putAll(successes(fKept.results()));
        }

        // 5. the front, the choice, and the result written in one rename
        List<AutoQuantFront.Row> rows = new ArrayList<>();
        for (Made m : made) {
            Confirmed c = confirmed.get(m.name());
            rows.add(new AutoQuantFront.Row(m.name(), m.description(), m.bytes(),
                    (double) m.bytes() / measured.fullPrecisionBytes(), m.costRatio(), m.noise(), m.drift(),
                    c == null ? null : c.verdict(), c == null ? Double.NaN : c.delta(), c == null ? Double.NaN : c.lower(),
                    c == null ? Double.NaN : c.upper(), c == null ? 0 : c.pairs(), c == null ? 0 : c.planned(),
                    c == null ? 0 : c.both() + c.onlyCandidate(), c == null ? 0 : c.both() + c.onlyReference(),
                    c == null ? -1 : fixedPairs(c), m.fitOrUnder()));
        }
        AutoQuantFront front = new AutoQuantFront(fp.manifest().name() + " autoquant " + budget, budget, verification.margin(), rows);
        Made chosen = made.stream().filter(m -> m.under() && confirmed.containsKey(m.name())
                        && confirmed.get(m.name()).verdict().equals("PASS"))
                .min(java.util.Comparator.comparingDouble(Made::costRatio).thenComparing(m -> -confirmed.get(m.name()).delta()))
                .orElse(null);
        String againstBaseline = chosen == null || !episodes.containsKey(BASELINE) || chosen.name().equals(BASELINE) ? null
                : compare(episodes.get(chosen.name()), episodes.get(BASELINE), chosen.name());
        int planned = confirmed.values().stream().mapToInt(Confirmed::planned).sum();
        int referencePlanned = referenceEpisodes.size();
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("bundle", fp.reference());
        facts.put("CPU", cpu.model() + " (" + cpu.summary() + "), " + Runtime.getRuntime().availableProcessors() + " cores");
        facts.put("planner", planner.label() + ", planner seed " + plannerSeed.seed() + ", episodes seeds 99n+1 (validation)");
        facts.put("full precision", String.format(Locale.ROOT, "%,d weight bytes (encoder and predictor)%s",
                measured.fullPrecisionBytes(), Double.isNaN(fullPrecisionMs) || budget.kind() == AutoQuantBudget.Kind.BYTES ? ""
                        : String.format(Locale.ROOT, ", %.1f ms of CPU per CEM step at least (one thread)", fullPrecisionMs)));
        long formatCount = measured.layers().stream().map(l -> l.method() + l.weightFormat() + l.activations()).distinct().count();
        long ranked = made.stream().filter(m -> !Double.isNaN(m.drift())).count();
        if (budget.kind() == AutoQuantBudget.Kind.BYTES) {
            facts.put("candidates", String.format(Locale.ROOT, "%d under the byte limit from %d measured formats; %d"
                    + " quantized and ranked by drift; %d confirmed by planning", all.size(), formatCount, ranked,
                    confirmed.size()));
        } else {
            java.util.function.Function<AutoQuantBudget.Fit, Long> count = f -> made.stream().filter(m -> m.fitOrUnder() == f).count();
            facts.put("candidates", String.format(Locale.ROOT, "%d uniform formats from %d measured formats (a time"
                            + " budget sets no byte limit); %d quantized and timed: %d under %s, %d within timing"
                            + " noise, %d over; %d ranked by drift; %d confirmed by planning", all.size(), formatCount,
                    made.size(), count.apply(AutoQuantBudget.Fit.UNDER), budget, count.apply(AutoQuantBudget.Fit.WITHIN_NOISE),
                    count.apply(AutoQuantBudget.Fit.OVER), ranked, confirmed.size()));
        }
        facts.put("episodes planned", String.format(Locale.ROOT, "%d: candidates %d, FP %d (each FP episode once,"
                + " paired with every candidate)", planned + referencePlanned, planned, referencePlanned));
        int sequential = planned + referencePlanned;
        facts.put("against a fixed n", front.fixedGridEpisodes().isPresent() ? String.format(Locale.ROOT, "a grid of"
                + " the same %d candidates at n = %d pairs each (what a fixed-n test needs to pass the candidates it"
                + " passes, at 80 %% power and the observed Δ and discordance; FP planned once) would plan %d episodes;"
                + " this search planned %d", confirmed.size(), front.fixedGridPairs().getAsInt(),
                front.fixedGridEpisodes().getAsInt(), sequential)
                : "no candidate's observed Δ is above −margin: no fixed n passes any of them");
        facts.put("chosen", chosen == null ? "none: no candidate passed" : chosen.name() + " (" + chosen.description() + ")");
        if (againstBaseline != null) {
            facts.put("chosen against uniform W4 RTN per channel", againstBaseline);
        }
        System.out.println();
        front.print(System.out);
        System.out.println();
        facts.forEach((k, v) -> System.out.println(k + ": " + v));

        String markdown = front.markdown(facts);
        String svg = front.svg();
        ObjectNode summary = JSON.createObjectNode();
        summary.set("settings", wanted);
        summary.put("fullPrecisionBytes", measured.fullPrecisionBytes());
        summary.put("chosen", chosen == null ? null : chosen.name());
        summary.set("candidates", JSON.valueToTree(made));
        summary.set("confirmed", JSON.valueToTree(confirmed.values()));
        summary.put("episodesPlanned", planned);
        summary.put("referenceEpisodes", referencePlanned);
        if (againstBaseline != null) {
            summary.put("againstBaseline", againstBaseline);
        }
        Made picked = chosen;
        if (store != null) {
            // the search beside its verifications in the collector (GET /api/v1/searches/ID lists both)
            ObjectNode search = summary.deepCopy();
            search.put("search_id", searchId).put("environment", environment).put("bundle", fp.reference())
                    .put("budget", budget.toString()).put("recipe", chosen == null ? null : Files.readString(
                            work.resolve("candidates").resolve(chosen.name()).resolve("recipe.yaml")));
            try {
                FleetVerification.storeSearch(store, searchId, search);
                System.out.println("stored by the collector as search " + searchId + " (/api/v1/searches/" + searchId
                        + ")");
            } catch (RuntimeException e) {
                if (fleet != null) {
                    throw e;
                }
                // in process the result folder is the search's own record; the collector's is a copy
                System.out.println("not stored by the collector at " + store.baseUrl() + ": " + e.getMessage());
            }
        }
        target.write(staged -> {
            Files.writeString(staged.resolve("front.md"), markdown);
            Files.writeString(staged.resolve("front.svg"), svg);
            Files.writeString(staged.resolve("autoquant.json"), JSON.writeValueAsString(summary));
            copyTree(work.resolve("verify"), staged.resolve("verify"));
            if (Files.exists(work.resolve("confirmed.jsonl"))) {
                Files.copy(work.resolve("confirmed.jsonl"), staged.resolve("confirmed.jsonl"));
            }
            for (Made m : made) {
                Files.createDirectories(staged.resolve("candidates"));
                Files.copy(work.resolve("candidates").resolve(m.name()).resolve("recipe.yaml"),
                        staged.resolve("candidates").resolve(m.name() + ".yaml"));
            }
            if (picked != null) {
                Files.copy(work.resolve("candidates").resolve(picked.name()).resolve("recipe.yaml"),
                        staged.resolve("recipe.yaml"));
                copyTree(work.resolve("candidates").resolve(picked.name()).resolve("bundle"), staged.resolve("bundle"));
            }
            return null;
        });
        StagedWrite.deleteQuietly(work);
        System.out.println("wrote " + out + (chosen == null ? " (no recipe: none passed)" : ": recipe.yaml, bundle/")
                + ", front.md, front.svg, autoquant.json");
        return chosen == null ? 4 : 0;
    }

    /** The working folder: new, resumed with the same settings, or started anew with --force. */
    private void openWork(Path work, ObjectNode wanted) throws IOException {
        Path settingsFile = work.resolve("settings.json");
        if (Files.exists(work)) {
            if (force) {
                StagedWrite.deleteQuietly(work);
            } else if (!resume) {
                throw new IllegalArgumentException("an interrupted search for --out " + out + " is in " + work
                        + ": pass --resume to go on from it, or --force to start anew");
            } else {
                JsonNode had = Files.exists(settingsFile) ? JSON.readTree(settingsFile.toFile()) : JSON.createObjectNode();
                for (var it = wanted.fields(); it.hasNext(); ) {
                    var e = it.next();
                    if (RESUMABLE_WITH_ANOTHER.contains(e.getKey())) {
                        continue;
                    }
                    // as text: a long read back is an int node
                    if (had.get(e.getKey()) == null || !had.get(e.getKey()).toString().equals(e.getValue().toString())) {
                        throw new IllegalArgumentException("--resume: the search in " + work + " ran with " + e.getKey()
                                + " " + had.get(e.getKey()) + ", this one asks for " + e.getValue()
                                + "; resume with the same settings or pass --force to start anew");
                    }
                }
                System.err.println("resuming the search in " + work);
                return;
            }
        } else if (resume) {
            throw new IllegalArgumentException("--resume: no interrupted search for --out " + out + " (" + work
                    + " does not exist)");
        }
        Files.createDirectories(work);
        Files.writeString(settingsFile, JSON.writeValueAsString(wanted));
    }

    /** The formats measured: whatever the budget allows to vary. */
    private static List<ModuleRecipe> formats(AutoQuantBudget budget) {
        List<ModuleRecipe> out = new ArrayList<>();
        for (QuantMethod method : List.of(QuantMethod.RTN, QuantMethod.OMSE)) {
            for (WeightSpec w : WEIGHT_FORMATS) {
                out.add(new ModuleRecipe(method, w, ActivationSpec.FLOAT, null, List.of()));
            }
        }
        if (budget.kind() == AutoQuantBudget.Kind.MS) {
            for (WeightSpec w : WEIGHT_FORMATS) {
                out.add(new ModuleRecipe(QuantMethod.RTN, w, ActivationSpec.of(8, ActivationSpec.Granularity.KERNEL),
                        null, List.of()));
            }
            // the study's W8A8 (./qwm quantize --preset w8a8): static int8 activations per tensor from the calibration
            // ranges, integer matrix products (QDQ / MatMulIntegerToFloat) instead of MatMulNBits
            out.add(new ModuleRecipe(QuantMethod.RTN, WeightSpec.perChannel(8),
                    ActivationSpec.of(8, ActivationSpec.Granularity.TENSOR), null, List.of()));
        }
        return out;
    }

    private Measurement measure(ModelBundle fp, List<WorldModelModule> searched, AutoQuantBudget budget,
                                ModuleQuantizer.Options options, Path file) throws IOException {
        if (Files.exists(file)) {
            JsonNode root = JSON.readTree(file.toFile());
            List<LayerSensitivity> layers = new ArrayList<>();
            for (JsonNode l : root.get("layers")) {
                layers.add(JSON.treeToValue(l, LayerSensitivity.class));
            }
            System.err.printf(Locale.ROOT, "measure: %d layer measurements kept from %s%n", layers.size(), file);
            return new Measurement(layers, root.get("fullPrecisionBytes").asLong(), root.get("otherBytes").asLong());
        }
        String environment = fp.manifest().environment();
        Map<WorldModelModule, ModelProto> graphs = new EnumMap<>(WorldModelModule.class);
        for (WorldModelModule m : WorldModelModule.values()) {
            graphs.put(m, OnnxModels.read(fp.componentPath(m.component())));
        }
        // RTN and OMSE read the layers' inputs only: one collector per module serves every format
        ModuleRecipe probe = new ModuleRecipe(QuantMethod.RTN, WeightSpec.perChannel(8), ActivationSpec.FLOAT, null, List.of());
        CalibrationSettings c = new CalibrationSettings(calibrationEpisodes, null, null, null, null, null, null, null, null);
        Map<WorldModelModule, CalibrationData> data = new EnumMap<>(WorldModelModule.class);
        Map<WorldModelModule, ActivationCollector> collectors = new EnumMap<>(WorldModelModule.class);
        try (ProgressLine bar = ProgressLine.on(System.err).task("calibrate").total(calibrationEpisodes).unit("ep").start()) {
            for (WorldModelModule m : searched) {
                collectors.put(m, ModuleQuantizer.prepare(graphs.get(m), m, probe).newCollector(c, options.ort()));
            }
            PlanningCalibration calibration = new PlanningCalibration(EpisodeSources.forBundle(fp.manifest(),
                    datasetOption.resolve(environment, "training")), PlannerBudget.dinoWm(environment), new PlanningListener() {
                @Override
                public void onEpisodeCompleted(EpisodeResult result) {
                    bar.step();
                }
            });
            calibration.run(new CalibratingWorldModel(fp, options.ort(), collectors.get(WorldModelModule.ENCODER),
                    collectors.get(WorldModelModule.PREDICTOR)), c);
            collectors.forEach((m, col) -> data.put(m, col.result()));
        } finally {
            collectors.values().forEach(ActivationCollector::close);
        }
        List<ModuleRecipe> formats = formats(budget);
        List<LayerSensitivity> layers = new ArrayList<>();
        long fullPrecision = 0;
        long other = 0;
        try (ProgressLine bar = ProgressLine.on(System.err).task("measure").total((long) formats.size() * searched.size())
                .unit("format").start()) {
            for (WorldModelModule m : WorldModelModule.values()) {
                if (!searched.contains(m)) {
                    ModuleReport r = ModuleQuantizer.finish(ModuleQuantizer.prepare(graphs.get(m), m, probe), null, options)
                            .report();
                    fullPrecision += r.weightBytesBefore();
                    other += r.weightBytesBefore();
                    continue;
                }
                boolean first = true;
                for (ModuleRecipe f : formats) {
                    ModuleReport r = ModuleQuantizer.finish(ModuleQuantizer.prepare(graphs.get(m), m, f), data.get(m),
                            options).report();
                    List<LayerSensitivity> ls = layersOf(r);
                    if (first) {
                        fullPrecision += r.weightBytesBefore();
                        other += r.weightBytesAfter() - ls.stream().mapToLong(LayerSensitivity::weightBytes).sum();
                        first = false;
                    }
                    layers.addAll(ls);
                    bar.stepTo(bar.current() + 1, m.id() + " " + f.method().id() + " " + f.weights() + " " + f.activations());
                }
            }
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("fullPrecisionBytes", fullPrecision);
        root.put("otherBytes", other);
        root.set("layers", JSON.valueToTree(layers));
        writeAtomically(file, JSON.writeValueAsString(root));
        return new Measurement(layers, fullPrecision, other);
    }

    /** A module's per-layer errors, as {@link SensitivityIo} reads them from a manifest. */
    private static List<LayerSensitivity> layersOf(ModuleReport report) {
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("format", SensitivityIo.MANIFEST_FORMAT);
        manifest.putArray("modules").add(JSON.valueToTree(report));
        return SensitivityIo.parse(manifest, "module " + report.module());
    }

    /**
     * Quantizes candidates in order of predicted noise until {@code --drift-candidates} fit the budget (the
     * baseline too when it fits), measures their rollout drift against FP, and returns them by drift.
     */
    private List<Made> makeAndRank(ModelBundle fp, List<CandidateSearch.Candidate> all, AutoQuantBudget budget,
                                   Measurement measured, ModuleQuantizer.Options options, SessionConfig ort, Path work)
            throws IOException {
        Path file = work.resolve("ranked.json");
        Path fpTime = work.resolve("fp-time.json");
        if (Files.exists(file)) {
            List<Made> kept = List.of(JSON.readValue(file.toFile(), Made[].class));
            if (Files.exists(fpTime)) {
                fullPrecisionMs = JSON.readTree(fpTime.toFile()).path("leastCpuMs").asDouble(Double.NaN);
            }
            System.err.printf(Locale.ROOT, "rank: %d candidates kept from %s%n", kept.size(), file);
            return kept;
        }
        boolean timed = budget.kind() == AutoQuantBudget.Kind.MS;
        List<CandidateSearch.Candidate> tried = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (CandidateSearch.Candidate c : all) {
            if (tried.size() >= (timed ? 3 * driftCandidates : driftCandidates)) {
                break;
            }
            if (names.add(c.name())) {
                tried.add(c);
            }
        }
        // the baseline always; under a time budget every candidate with static activations too: ranked by layer noise
        // they come after the weight-only formats, yet their integer matrix products are what may be faster
        for (CandidateSearch.Candidate c : all) {
            if ((c.name().equals(BASELINE) || (timed && needsCalibration(c.recipe()))) && names.add(c.name())) {
                tried.add(c);
            }
        }
        CalibrationSettings calibrationSettings = new CalibrationSettings(calibrationEpisodes, null, null, null, null,
                null, null, null, null);
        try (ProgressLine bar = ProgressLine.on(System.err).task("quantize").total(tried.size()).unit("cand").start()) {
            for (CandidateSearch.Candidate c : tried) {
                Path dir = work.resolve("candidates").resolve(c.name());
                Files.createDirectories(dir);
                Recipe recipe = c.recipe();
                PlanningCalibration calibration = null;
                if (needsCalibration(recipe)) {
                    // the calibration the layers were measured with: the same episodes, so the same ranges
                    recipe = new Recipe(recipe.name(), recipe.modules(), calibrationSettings).validate();
                    calibration = new PlanningCalibration(EpisodeSources.forBundle(fp.manifest(),
                            datasetOption.resolve(fp.manifest().environment(), "training")),
                            PlannerBudget.dinoWm(fp.manifest().environment()), PlanningListener.NONE);
                }
                writeAtomically(dir.resolve("recipe.yaml"), MixedPrecisionPlanner.yaml(recipe));
                if (!Files.exists(dir.resolve("bundle").resolve("model.json"))) {
                    BundleQuantizer.quantize(fp, recipe, calibration, dir.resolve("bundle"), options);
                }
                bar.stepTo(bar.current() + 1, c.name());
            }
        }
        Map<String, AutoQuantBudget.Fit> fits = new LinkedHashMap<>();
        Map<String, Double> ratios = new LinkedHashMap<>();
        if (timed) {
            List<ModelBundle> bundles = new ArrayList<>(List.of(fp));
            tried.forEach(c -> bundles.add(ModelBundle.read(work.resolve("candidates").resolve(c.name()).resolve("bundle"))));
            BundleBenchmark.Report r = BundleBenchmark.run(bundles, fp.manifest().environment(),
                    new BundleBenchmark.Settings(BundleBenchmark.Settings.FULL_CANDIDATES, 5, 5, 1, List.of(1)),
                    new dev.qwm.quant.ConsoleProgress(System.err));
            BundleBenchmark.Timing fpTiming = r.bundles().get(0).timing(1);
            fullPrecisionMs = fpTiming.minCpuMs();
            writeAtomically(fpTime, JSON.writeValueAsString(JSON.createObjectNode().put("leastCpuMs", fullPrecisionMs)
                    .put("spreadMs", AutoQuantBudget.spread(fpTiming.cpuMs()))));
            for (int i = 0; i < tried.size(); i++) {
                BundleBenchmark.Timing t = r.bundles().get(i + 1).timing(1);
                String name = tried.get(i).name();
                ratios.put(name, t.minCpuMs() / fullPrecisionMs);
                fits.put(name, budget.judgeTimes(t.cpuMs(), fpTiming.cpuMs()));
                System.err.printf(Locale.ROOT, "%s: %.3f× FP's time per CEM step (%.1f against %.1f ms; spread %.1f"
                                + " and %.1f ms): %s%n", name, ratios.get(name), t.minCpuMs(), fullPrecisionMs,
                        AutoQuantBudget.spread(t.cpuMs()), AutoQuantBudget.spread(fpTiming.cpuMs()),
                        fits.get(name).label());
            }
        }
        List<RolloutDriftMeter.Segment> segments = RolloutDriftMeter.segments(fp.manifest().environment(), driftSegments,
                5, fp.manifest().frameskip(), fp.manifest().imageSize());
        List<Made> made = new ArrayList<>();
        List<Made> outside = new ArrayList<>();
        try (OnnxWorldModel fm = OnnxWorldModel.open(fp, ort);
             ProgressLine bar = ProgressLine.on(System.err).task("drift").total(tried.size()).unit("cand").start()) {
            for (CandidateSearch.Candidate c : tried) {
                Path dir = work.resolve("candidates").resolve(c.name()).resolve("bundle");
                long bytes = manifestBytes(dir, measured);
                double costRatio = timed ? ratios.get(c.name()) : (double) bytes / measured.fullPrecisionBytes();
                AutoQuantBudget.Fit fit = timed ? fits.get(c.name())
                        : costRatio <= budget.fraction() ? AutoQuantBudget.Fit.UNDER : AutoQuantBudget.Fit.OVER;
                if (fit != AutoQuantBudget.Fit.UNDER) {
                    // listed on the front with its measured cost; neither ranked by drift nor confirmed
                    outside.add(new Made(c.name(), c.description(), bytes, c.noise(), costRatio, Double.NaN, fit));
                    bar.stepTo(bar.current() + 1, c.name() + " " + fit.label());
                    continue;
                }
                double drift;
                try (OnnxWorldModel qm = OnnxWorldModel.open(ModelBundle.read(dir), ort)) {
                    double[] d = RolloutDriftMeter.measure(qm, fm, segments).againstReference();
                    drift = d[d.length - 1];
                }
                made.add(new Made(c.name(), c.description(), bytes, c.noise(), costRatio, drift, fit));
                bar.stepTo(bar.current() + 1, String.format(Locale.ROOT, "%s drift %.3g", c.name(), drift));
            }
        }
        made.sort(java.util.Comparator.comparingDouble(Made::drift).thenComparing(Made::name));
        List<Made> kept = new ArrayList<>(made.stream().filter(m -> !m.name().equals(BASELINE)).limit(driftCandidates).toList());
        made.stream().filter(m -> m.name().equals(BASELINE)).findFirst().ifPresent(kept::add);
        kept.addAll(outside);
        writeAtomically(file, JSON.writeValueAsString(kept));
        return kept;
    }

    /** Whether a recipe needs calibration data: static activation ranges, or a data-aware method. */
    private static boolean needsCalibration(Recipe recipe) {
        return recipe.modules().values().stream().anyMatch(m -> m.activations().isStatic() || m.method().needsCalibration()
                || m.layers().stream().anyMatch(l -> (l.activations() != null && l.activations().isStatic())
                        || (l.method() != null && l.method().needsCalibration())));
    }

    /**
     * The weight bytes of encoder and predictor together of a quantized bundle: full precision's, with each module
     * its manifest quantized counted at its bytes after ({@link ModuleWeightBytes}) instead of before.
     */
    private static long manifestBytes(Path bundleDir, Measurement measured) throws IOException {
        QuantizationManifest manifest = QuantizationManifest.read(
                Files.readString(bundleDir.resolve(BundleQuantizer.MANIFEST_FILE)));
        ModelBundle bundle = ModelBundle.read(bundleDir);
        long bytes = measured.fullPrecisionBytes();
        for (ModuleReport m : manifest.modules()) {
            bytes += ModuleWeightBytes.after(manifest.format(), m,
                    () -> OnnxModels.read(bundle.componentPath(m.component()))) - m.weightBytesBefore();
        }
        return bytes;
    }

    /** The fixed-n pairs of {@link SequentialNonInferiority#fixedPairs} at the counts a verification ended with. */
    private int fixedPairs(Confirmed c) {
        SequentialNonInferiority t = new SequentialNonInferiority(verification.margin(), 1 - verification.confidence());
        for (int i = 0; i < c.both(); i++) {
            t.add(true, true);
        }
        for (int i = 0; i < c.onlyCandidate(); i++) {
            t.add(true, false);
        }
        for (int i = 0; i < c.onlyReference(); i++) {
            t.add(false, true);
        }
        for (int i = 0; i < c.neither(); i++) {
            t.add(false, false);
        }
        return t.fixedPairs(0.8).orElse(-1);
    }

    /** Each quantized layer's method and weight bits (group size left out), from a bundle's manifest. */
    private static Map<String, String> bitsPerLayer(Path bundleDir) throws IOException {
        JsonNode manifest = JSON.readTree(bundleDir.resolve(BundleQuantizer.MANIFEST_FILE).toFile());
        Map<String, String> out = new java.util.TreeMap<>();
        for (JsonNode m : manifest.path("modules")) {
            for (JsonNode l : m.path("layers")) {
                out.put(m.path("module").asText() + "/" + l.path("layer").asText(), l.path("method").asText() + " "
                        + l.path("weights").asText().replaceAll("-g\\d+$", "") + " " + l.path("activations").asText());
            }
        }
        return out;
    }

    /** Each episode's success, by index. */
    private static Map<Integer, Boolean> successes(Map<Integer, EpisodeResult> results) {
        Map<Integer, Boolean> out = new java.util.TreeMap<>();
        results.forEach((i, r) -> out.put(i, r.success()));
        return out;
    }

    /** In process: --collector's, else the local stack's collector when it runs, else none. */
    private ServiceClient inProcessCollector() {
        if (collectorUrl != null) {
            return new ServiceClient("collector", collectorUrl);
        }
        LocalStack stack = new LocalStack();
        boolean runs = stack.services().running().stream().anyMatch(r -> r.name().equals("collector"));
        return runs ? new ServiceClient("collector", stack.url("collector")) : null;
    }

    /** An in-process confirmation's verdict into the collector, tagged with the search; a failure to store is said. */
    private void storeVerdict(ServiceClient store, ModelBundle q, ModelBundle fp, SequentialNonInferiority t,
                              PlannerBudget planner, double seconds, String machine, String searchId) {
        FleetVerification.Settings s = new FleetVerification.Settings(verification.margin(), verification.confidence(),
                verification.maxEpisodes(), plannerSeed.seed(), planner, 1);
        try {
            String id = FleetVerification.storeInProcess(store, q, fp, t, s, seconds, machine, searchId);
            System.err.println("stored by the collector: /api/v1/verifications/" + id);
        } catch (RuntimeException e) {
            System.err.println("not stored by the collector at " + store.baseUrl() + ": " + e.getMessage());
        }
    }

    /** The planner fleet and collector of --through-services: the local stack's, or the URLs'. */
    private FleetVerification fleet() {
        if ((plannerUrl == null) != (collectorUrl == null)) {
            throw new IllegalArgumentException("remote mode needs both --planner URL and --collector URL");
        }
        LocalStack stack = new LocalStack();
        if (plannerUrl != null) {
            return new FleetVerification(new ServiceClient("planner", plannerUrl),
                    new ServiceClient("collector", collectorUrl), System.err);
        }
        var running = stack.services().running().stream().map(r -> r.name()).toList();
        if (!running.contains("planner-1") || !running.contains("collector")) {
            throw new IllegalArgumentException("--through-services: no local stack runs (./qwm services up), and no"
                    + " --planner/--collector URLs are given");
        }
        return new FleetVerification(new ServiceClient("planner", stack.url("planner")),
                new ServiceClient("collector", stack.url("collector")), System.err)
                .localStore(stack.artifactsRoot(), List.of(stack.artifactsRoot(), stack.root().resolve("models")));
    }

    private static String compare(Map<Integer, Boolean> a, Map<Integer, Boolean> b, String name) {
        if (a.keySet().stream().noneMatch(b::containsKey)) {
            return "no common episodes";
        }
        PairedDifference d = Proportions.pairedDifference(a, b);
        int n = d.pairs();
        int onlyA = d.onlyFirst();
        int onlyB = d.onlySecond();
        Interval i = d.difference().interval();
        return String.format(Locale.ROOT, "%s − %s on their %d common episodes: %+.3f, 95 %% Newcombe [%+.3f, %+.3f],"
                        + " %d vs %d discordant, exact McNemar p = %.3g%s", name, BASELINE, n, d.difference().value(),
                i.lower(), i.upper(), onlyA, onlyB, d.mcnemarP(),
                i.lower() > 0 ? " (excludes 0: better)" : i.upper() < 0 ? " (excludes 0: worse)" : " (includes 0)");
    }

    private static Map<String, Confirmed> readConfirmed(Path file) throws IOException {
        Map<String, Confirmed> out = new LinkedHashMap<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    Confirmed c = JSON.readValue(line, Confirmed.class);
                    out.put(c.name(), c);
                }
            }
        }
        return out;
    }

    private static void appendConfirmed(Path file, Confirmed c) throws IOException {
        String line = new ObjectMapper().writeValueAsString(c) + "\n";
        Files.writeString(file, line, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND, java.nio.file.StandardOpenOption.SYNC);
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        if (!Files.exists(from)) {
            return;
        }
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
