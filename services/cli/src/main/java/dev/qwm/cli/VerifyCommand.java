package dev.qwm.cli;

import dev.qwm.analysis.report.TextTable;
import dev.qwm.analysis.stats.Interval;
import dev.qwm.analysis.stats.SequentialNonInferiority;
import dev.qwm.cli.options.NonInferiorityOptions;
import dev.qwm.cli.options.PlannerSeedOption;
import dev.qwm.cli.study.FleetVerification;
import dev.qwm.cli.study.ServiceClient;
import com.fasterxml.jackson.databind.JsonNode;
import dev.qwm.cli.options.OrtThreadsOption;
import dev.qwm.cli.options.PlannerBudgetOptions;
import dev.qwm.cli.options.PushtDatasetOption;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.CpuFeatures;
import dev.qwm.onnx.runtime.RunEnvironment;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.eval.EpisodeSource;
import dev.qwm.planning.eval.EpisodeSources;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.progress.ProgressLine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./qwm verify}: does a quantized bundle plan as well as its full-precision bundle, within a margin? Both plan
 * the same episodes (seeds 99n+1 of the validation split, the same planner seed), one pair at a time, and a
 * sequential non-inferiority test ({@link SequentialNonInferiority}: a time-uniform confidence sequence on the paired
 * difference) stops as soon as the evidence decides, with the error it promises whenever it stops.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Does a quantized bundle plan as well as its full-precision bundle, within a margin? A paired,"
                + " sequential non-inferiority test by planning the same episodes with both: it stops as soon as the"
                + " evidence decides (pass, fail) or at --max-episodes (undecided).",
                "",
                "Where the episodes are planned: through the services when the local stack runs (./qwm services up)"
                + " or --planner/--collector name one, in this process otherwise; --through-services or --in-process"
                + " choose. Through the services each --batch of pairs is a study per side on the planner fleet,"
                + " stored by the collector with the verification's verdict: running the same verification again goes"
                + " on from the stored episodes, and a reference's episodes serve every verification against it. In"
                + " process the verdict is stored too, the same record, when a collector is reachable (the local"
                + " stack's, or --collector URL)."},
        footer = {"", "Examples:",
                "  ./qwm verify --bundle .qwm/artifacts/ARTIFACT --reference models/wall",
                "  ./qwm verify --bundle Q --reference models/wall --margin 0.1 --max-episodes 200 --max-iter 10",
                "  ./qwm verify --in-process --bundle Q --reference models/wall --log verify-log/",
                "  ./qwm verify --list        (the verifications the collector stores)"})
public final class VerifyCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--bundle", paramLabel = "DIR", description = "The bundle to verify (any bundle"
            + " that meets the contract, also ONNX quantized by other tools).")
    Path candidate;

    @Option(names = "--reference", paramLabel = "DIR", description = "The full-precision bundle it"
            + " must plan as well as.")
    Path reference;

    @Option(names = "--log", paramLabel = "DIR", description = "Keep every planned episode in DIR"
            + " (candidate.episodes.jsonl, reference.episodes.jsonl), appended as each finishes; an existing log is"
            + " refused unless --resume (go on from it) or --force (start it anew).")
    Path log;

    @Option(names = "--resume", description = "With --log: the pairs already there are taken as they are (the same"
            + " bundles, budget and seeds, or refused) and the test goes on from them.")
    boolean resume;

    @Option(names = "--force", description = "With --log: start an existing log anew.")
    boolean force;

    @Option(names = "--in-process", description = "Plan every episode in this process, even when a stack runs.")
    boolean inProcess;

    @Option(names = "--through-services", description = "Plan through the services (the local stack, or"
            + " --planner/--collector); an error if none runs.")
    boolean throughServices;

    @Option(names = "--batch", defaultValue = "" + FleetVerification.DEFAULT_BATCH_PAIRS, description = "Through the"
            + " services: pairs per batch, the pairs the fleet plans between two looks of the test (default"
            + " ${DEFAULT-VALUE}). Part of the batch studies' ids: keep it to go on with a verification.")
    int batch;

    @Option(names = "--planner", paramLabel = "URL", description = "A planner service (remote mode; bundle paths must"
            + " then be the services' own).")
    String plannerUrl;

    @Option(names = "--collector", paramLabel = "URL", description = "The collector service (remote mode); with"
            + " --in-process, where the verdict is stored (default: the local stack's, when it runs).")
    String collectorUrl;

    @Option(names = "--timeout-minutes", defaultValue = "720", description = "Through the services: how long a batch"
            + " may take (default ${DEFAULT-VALUE}).")
    long timeoutMinutes;

    @Option(names = "--list", description = "List the verifications the collector stores, and exit.")
    boolean list;

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

    @Override
    public Integer call() throws java.io.IOException {
        LocalStack stack = new LocalStack();
        if (list) {
            list(collector(stack));
            return 0;
        }
        if (candidate == null || reference == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "Missing required option: '" + (candidate == null ? "--bundle" : "--reference") + "=DIR' (or --list)");
        }
        if (inProcess && throughServices) {
            throw new IllegalArgumentException("--in-process and --through-services: give one");
        }
        if (inProcess && plannerUrl != null) {
            throw new IllegalArgumentException("--in-process plans here: --planner does not apply (--collector URL"
                    + " stores the verdict)");
        }
        boolean remote = !inProcess && (plannerUrl != null || collectorUrl != null);
        if (remote && (plannerUrl == null || collectorUrl == null)) {
            throw new IllegalArgumentException("remote mode needs both --planner URL and --collector URL");
        }
        boolean services = !inProcess && (throughServices || remote || stackRuns(stack));
        ModelBundle q = ModelBundle.read(candidate);
        ModelBundle f = ModelBundle.read(reference);
        String environment = f.manifest().environment();
        if (!q.manifest().environment().equals(environment)) {
            throw new IllegalArgumentException("--bundle is a " + q.manifest().environment() + " model, --reference a "
                    + environment + " one: they cannot plan the same episodes");
        }
        if (!q.manifest().frameStyle().equals(f.manifest().frameStyle())) {
            throw new IllegalArgumentException("--bundle reads " + q.manifest().frameStyle() + " frames, --reference "
                    + f.manifest().frameStyle() + " frames: they cannot plan the same episodes");
        }
        PlannerBudget budget = budgetOptions.resolve(environment);
        if (services) {
            if (log != null || resume || force) {
                throw new IllegalArgumentException("through the services the collector keeps every episode and a run"
                        + " goes on by itself: --log, --resume and --force are for --in-process");
            }
            if (datasetOption.given() != null) {
                throw new IllegalArgumentException("through the services the planners read their own PushT dataset:"
                        + " --dataset is for --in-process");
            }
            return throughServices(q, f, environment, budget, stack, remote);
        }
        PairedVerification.Settings settings = new PairedVerification.Settings(verification.margin(),
                verification.confidence(), verification.maxEpisodes(), plannerSeed.seed(), budget);
        EpisodeSource source = EpisodeSources.forBundle(f.manifest(), datasetOption.resolve(environment, "validation"));
        SessionConfig ort = threadsOption.sessionConfig();
        System.err.printf(Locale.ROOT, "qwm verify: %s against %s on %s, margin %.2f, at most %d pairs, %s; on %s%n",
                q.manifest().name(), f.manifest().name(), environment, verification.margin(), verification.maxEpisodes(), budget.label(),
                RunEnvironment.of(CpuFeatures.current(), ort).describe());
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        if ((resume || force) && log == null) {
            throw new IllegalArgumentException("--resume and --force go with --log DIR");
        }
        Path qLog = log == null ? null : log.resolve("candidate.episodes.jsonl");
        Path fLog = log == null ? null : log.resolve("reference.episodes.jsonl");
        if (log != null && !resume && !force && (Files.exists(qLog) || Files.exists(fLog))) {
            throw new IllegalArgumentException("--log " + log + " holds a verification already: pass --resume to go on"
                    + " from it, or --force to start it anew");
        }
        SequentialNonInferiority test;
        try (OnnxWorldModel qm = OnnxWorldModel.open(q, ort); OnnxWorldModel fm = OnnxWorldModel.open(f, ort);
             PairedVerification.Kept qKept = kept(qLog, qm.reference(), budget);
             PairedVerification.Kept fKept = kept(fLog, fm.reference(), budget);
             ProgressLine bar = ProgressLine.on(System.err).task("verify").total(verification.maxEpisodes()).unit("pair").start()) {
            test = PairedVerification.run(qm, fm, source, settings, qKept, fKept, bar).test();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        print(test, seconds, (processCpuNanos() - cpu0) / 1e9);
        if (log != null) {
            System.out.println("episodes kept in " + log);
        }
        store(stack, q, f, test, budget, seconds, RunEnvironment.of(CpuFeatures.current(), ort).describe());
        return exit(test);
    }

    /**
     * An in-process verdict into the collector, the record the fleet's verifications have: --collector's, else the
     * local stack's when it runs; when there is none, or it cannot be reached, says so once.
     */
    private void store(LocalStack stack, ModelBundle q, ModelBundle f, SequentialNonInferiority test,
                       PlannerBudget budget, double seconds, String machine) {
        String url = collectorUrl != null ? collectorUrl : stackRuns(stack) ? stack.url("collector") : null;
        if (url == null) {
            System.out.println("not stored by a collector: no local stack runs (./qwm services up) and no --collector"
                    + " URL is given");
            return;
        }
        FleetVerification.Settings s = new FleetVerification.Settings(verification.margin(), verification.confidence(),
                verification.maxEpisodes(), plannerSeed.seed(), budget, 1);
        try {
            String id = FleetVerification.storeInProcess(new ServiceClient("collector", url), q, f, test, s, seconds,
                    machine, null);
            System.out.println("stored by the collector at " + url + ": ./qwm verify --list   (/api/v1/verifications/"
                    + id + ")");
        } catch (RuntimeException e) {
            System.out.println("not stored by the collector at " + url + ": " + e.getMessage());
        }
    }

    private static boolean stackRuns(LocalStack stack) {
        var running = stack.services().running().stream().map(r -> r.name()).toList();
        return running.contains("planner-1") && running.contains("collector");
    }

    private ServiceClient collector(LocalStack stack) {
        return new ServiceClient("collector", collectorUrl != null ? collectorUrl : stack.url("collector"));
    }

    private int throughServices(ModelBundle q, ModelBundle f, String environment, PlannerBudget budget,
                                LocalStack stack, boolean remote) {
        if (!remote && !stackRuns(stack)) {
            throw new IllegalArgumentException("--through-services: no local stack runs (./qwm services up), and no"
                    + " --planner/--collector URLs are given");
        }
        if (!remote) {
            StudyCommand.ensurePushtDataset(environment, stack);
        }
        FleetVerification.Settings settings = new FleetVerification.Settings(verification.margin(),
                verification.confidence(), verification.maxEpisodes(), plannerSeed.seed(), budget, batch);
        FleetVerification fleet = new FleetVerification(new ServiceClient("planner", remote ? plannerUrl
                : stack.url("planner")), collector(stack), System.err)
                .timeout(java.time.Duration.ofMinutes(timeoutMinutes));
        if (!remote) {
            fleet.localStore(stack.artifactsRoot(), List.of(stack.artifactsRoot(), stack.root().resolve("models")));
        }
        System.err.printf(Locale.ROOT, "qwm verify: %s against %s on %s, margin %.2f, at most %d pairs, %s; through"
                        + " the services (%s)%n", q.manifest().name(), f.manifest().name(), environment, verification.margin(),
                verification.maxEpisodes(), budget.label(), remote ? plannerUrl : "the local stack");
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        FleetVerification.Result r;
        try (ProgressLine bar = ProgressLine.on(System.err).task("verify").total(verification.maxEpisodes()).unit("pair").start()) {
            r = fleet.run(q, f, settings, bar);
        }
        print(r.test(), (System.nanoTime() - t0) / 1e9, (processCpuNanos() - cpu0) / 1e9);
        System.out.printf(Locale.ROOT, "through the services: verification %s, %d batch studies, %d episodes stored"
                        + " (%d planned by this run), %.0f s of planner time, on %s%n", r.verificationId(),
                r.studyIds().size(), r.episodesStored(), r.episodesDispatched(), r.episodeSeconds(), r.machine());
        System.out.println("stored by the collector: ./qwm verify --list   (/api/v1/verifications/" + r.verificationId()
                + ")");
        return exit(r.test());
    }

    private static int exit(SequentialNonInferiority test) {
        return switch (test.verdict()) {
            case PASS -> 0;
            case FAIL -> 3;
            case UNDECIDED -> 4;
        };
    }

    /** The collector's verifications, the latest first. */
    static void list(ServiceClient collector) {
        JsonNode all = collector.get("/api/v1/verifications").path("verifications");
        if (all.isEmpty()) {
            System.out.println("no verification stored");
            return;
        }
        TextTable t = new TextTable("verification", "verdict", "candidate", "reference", "Δ [interval]", "pairs",
                "episodes", "margin", "search", "updated");
        for (JsonNode v : all) {
            t.row(v.path("verification_id").asText(), v.path("verdict").asText(), v.path("candidate").path("name").asText(),
                    v.path("reference").path("name").asText(), String.format(Locale.ROOT, "%+.3f [%+.3f, %+.3f]",
                            v.path("difference").asDouble(), v.path("interval").path("lower").asDouble(),
                            v.path("interval").path("upper").asDouble()), v.path("pairs").asInt(),
                    v.path("episodes_planned").asInt(), v.path("margin").asDouble(), v.path("search_id").asText("-"),
                    v.path("updated_at").asText());
        }
        t.print(System.out);
    }

    private PairedVerification.Kept kept(Path file, String model, PlannerBudget budget) {
        return file == null ? PairedVerification.Kept.none()
                : PairedVerification.Kept.open(file, resume, model, budget, plannerSeed.seed(), System.err::println);
    }

    private void print(SequentialNonInferiority test, double wallSeconds, double cpuSeconds) {
        Interval d = test.interval();
        TextTable t = new TextTable("", "");
        t.row("verdict", switch (test.verdict()) {
            case PASS -> "PASS: loses less than " + verification.margin() + " in success rate";
            case FAIL -> "FAIL: loses more than " + verification.margin() + " in success rate";
            case UNDECIDED -> "UNDECIDED after " + test.pairs() + " pairs (--max-episodes)";
        });
        t.row("Δ success (candidate − reference)", String.format(Locale.ROOT, "%+.3f, %.0f %% confidence sequence"
                + " [%+.3f, %+.3f]", test.difference(), 100 * verification.confidence(), d.lower(), d.upper()));
        t.row("pairs", String.format(Locale.ROOT, "%d: both %d, candidate only %d, reference only %d, neither %d",
                test.pairs(), test.bothSucceed(), test.onlyCandidate(), test.onlyReference(), test.neither()));
        var fixed = test.fixedPairs(0.8);
        t.row("a fixed-n test instead", fixed.isPresent() ? String.format(Locale.ROOT, "%d pairs for 80 %% power at"
                + " the observed Δ and discordance (one-sided z-test at %.3f; it may not look before the end)",
                fixed.getAsInt(), (1 - verification.confidence()) / 2) : "none passes at the observed Δ");
        t.row("time", String.format(Locale.ROOT, "%.0f s wall, %.0f s CPU", wallSeconds, cpuSeconds));
        t.print(System.out);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
