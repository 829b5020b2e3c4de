package dev.qwm.cli;

import dev.qwm.analysis.report.TextTable;
import dev.qwm.analysis.stats.Interval;
import dev.qwm.analysis.stats.SequentialNonInferiority;
import dev.qwm.cli.options.NonInferiorityOptions;
import dev.qwm.cli.options.PlannerSeedOption;
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
        description = "Does a quantized bundle plan as well as its full-precision bundle, within a margin? A paired,"
                + " sequential non-inferiority test by planning the same episodes with both: it stops as soon as the"
                + " evidence decides (pass, fail) or at --max-episodes (undecided).",
        footer = {"", "Examples:",
                "  ./qwm verify --bundle .qwm/artifacts/ARTIFACT --reference models/wall",
                "  ./qwm verify --bundle Q --reference models/wall --margin 0.1 --max-episodes 200 --max-iter 10"})
public final class VerifyCommand implements Callable<Integer> {

    @Option(names = "--bundle", required = true, paramLabel = "DIR", description = "The bundle to verify (any bundle"
            + " that meets the contract, also ONNX quantized by other tools).")
    Path candidate;

    @Option(names = "--reference", required = true, paramLabel = "DIR", description = "The full-precision bundle it"
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
        print(test, (System.nanoTime() - t0) / 1e9, (processCpuNanos() - cpu0) / 1e9);
        if (log != null) {
            System.out.println("episodes kept in " + log);
        }
        return switch (test.verdict()) {
            case PASS -> 0;
            case FAIL -> 3;
            case UNDECIDED -> 4;
        };
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
