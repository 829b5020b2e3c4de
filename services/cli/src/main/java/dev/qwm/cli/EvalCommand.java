package dev.qwm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.WorldModel;
import dev.qwm.planning.cem.CemPlanner;
import dev.qwm.planning.cem.Planner;
import dev.qwm.planning.cem.RandomPlanner;
import dev.qwm.planning.eval.EpisodeSource;
import dev.qwm.planning.eval.EpisodeSources;
import dev.qwm.planning.eval.Evaluation;
import dev.qwm.planning.eval.EvaluationReport;
import dev.qwm.planning.eval.EvaluationSettings;
import dev.qwm.planning.mpc.CemStepMetrics;
import dev.qwm.planning.mpc.EpisodeResult;
import dev.qwm.planning.mpc.EpisodeSpec;
import dev.qwm.planning.mpc.MpcIterationMetrics;
import dev.qwm.planning.mpc.PlanningListener;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.planning.oracle.OracleWorldModel;
import dev.qwm.planning.oracle.TrueDynamicsWorldModel;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * {@code ./qwm eval}: closed-loop planning evaluation as QuantWM runs it (MPC over CEM, seeds 99n+1 on the
 * validation split) of a model bundle, of the oracle (the true simulator as world model: the ceiling), or of random
 * actions (the floor).
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate a world model by closed-loop planning (MPC over CEM, DINO-WM's protocol): "
                + "success rate with a 95%% Wilson interval, state distance, plan loss, time per CEM step.",
                "Examples:",
                "  ./qwm eval --oracle --env wall --episodes 50",
                "  ./qwm eval --bundle models/wall --episodes 50 --json",
                "  ./qwm eval --random --env wall --max-iter 50",
                "  ./qwm eval --bundle models/pusht --true-dynamics --episodes 20 --max-iter 2"})
public final class EvalCommand implements Callable<Integer> {

    static final class Subject {
        @Option(names = "--bundle", paramLabel = "DIR", description = "A model bundle folder (model.json + ONNX).")
        Path bundle;

        @Option(names = "--oracle", description = "The true simulator as world model (objective: squared state distance).")
        boolean oracle;

        @Option(names = "--random", description = "Random actions (one draw of CEM's initial distribution per plan).")
        boolean random;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Subject subject;

    @Option(names = "--true-dynamics", description = "With --bundle: roll candidates out in the true simulator and score "
            + "them in the bundle's latent space (its encoder and proprio embedding; the predictor is not used). "
            + "Tells whether the encoder's latents carry the planning signal apart from the predictor's errors.")
    boolean trueDynamics;

    @Option(names = "--env", description = "wall or pusht (default: the bundle's environment).")
    String env;

    @Option(names = "--dataset", paramLabel = "DIR", description = "PushT: the dataset whose validation trajectories give the goals "
            + "(default: .qwm/data/pusht under QWM_HOME).")
    Path dataset;

    @Option(names = "--episodes", defaultValue = "50", description = "Episodes, seeds 99n+1 (default: ${DEFAULT-VALUE}).")
    int episodes;

    @Option(names = "--samples", description = "CEM candidates per step (default 300).")
    Integer samples;

    @Option(names = "--topk", description = "CEM elites per step (default 30).")
    Integer topK;

    @Option(names = "--opt-steps", description = "CEM steps per plan (default: wall 10, pusht 30).")
    Integer optSteps;

    @Option(names = "--max-iter", description = "MPC iterations at most (default: wall 50, pusht 30).")
    Integer maxIter;

    @Option(names = "--horizon", description = "CEM horizon in macro actions, all executed per MPC iteration (default 5).")
    Integer horizon;

    @Option(names = "--var-scale", description = "Initial CEM sigma in normalised action units (default 1).")
    Double varScale;

    @Option(names = "--alpha", description = "Weight of the proprio-embedding term of the objective (default 1).")
    Double alpha;

    @Option(names = "--seed", defaultValue = "0", description = "Planner seed, mixed with each episode's seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--seed-offset", defaultValue = "1", description = "Episode n uses seed 99n+OFFSET (default: ${DEFAULT-VALUE}: evaluation, validation split; 2: calibration episodes, training split).")
    long seedOffset;

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads per model (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--workers", defaultValue = "1", description = "Episodes run in parallel, one model each (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--no-step-metrics", description = "Skip executing CEM's mean plan after every step (faster; no per-step success).")
    boolean noStepMetrics;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Option(names = "--results", paramLabel = "FILE", description = "Also write every episode's result (per MPC iteration and CEM step) as JSON; while the run "
            + "goes, each finished episode is appended to FILE.episodes.jsonl.")
    Path results;

    @Option(names = "--resume", description = "Go on with an interrupted run: the episodes already in FILE.episodes.jsonl "
            + "(--results FILE) are kept and only the others are planned. Refused if they come from another model, "
            + "budget or seeding.")
    boolean resume;

    @Override
    public Integer call() throws Exception {
        ModelBundle bundle = subject.bundle == null ? null : ModelBundle.read(subject.bundle);
        String environment = environment(bundle);
        EpisodeSource source = EpisodeSources.forEnvironment(environment, datasetFor(environment));
        PlannerBudget budget = budget(environment);
        EvaluationSettings settings = new EvaluationSettings(episodes, 99, seedOffset,
                seedOffset == 2 ? dev.qwm.planning.DataSplit.TRAIN : dev.qwm.planning.DataSplit.VALIDATION, seed,
                !noStepMetrics, workers);
        SessionConfig ort = SessionConfig.ofThreads(threads);
        if (trueDynamics && bundle == null) {
            throw new IllegalArgumentException("--true-dynamics scores in a bundle's latent space: give --bundle DIR");
        }
        Supplier<WorldModel> models = bundle == null
                ? () -> OracleWorldModel.withDinoWmActionStatistics(source::newEnvironment)
                : trueDynamics
                ? () -> new TrueDynamicsWorldModel(OnnxWorldModel.open(bundle, ort), source::newEnvironment)
                : () -> OnnxWorldModel.open(bundle, ort);
        Planner planner = subject.random ? new RandomPlanner() : new CemPlanner();
        String label = bundle != null ? (trueDynamics ? "true dynamics + " : "") + bundle.manifest().name()
                : subject.random ? "random" : "oracle";

        System.err.printf(Locale.ROOT, "qwm eval: %s on %s, %d episodes (seeds 99n+%d), %s%n", label, environment,
                episodes, seedOffset, describe(budget, planner));
        EvaluationReport report;
        java.io.Writer episodeLog = null;
        Map<Integer, EpisodeResult> finished = Map.of();
        if (resume && results == null) {
            throw new IllegalArgumentException("--resume goes on from the episode log of --results FILE: give --results");
        }
        if (results != null) {
            Path parent = results.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Path logFile = Path.of(results + ".episodes.jsonl");
            if (resume) {
                finished = finishedEpisodes(logFile);
                System.err.printf(Locale.ROOT, "resuming: %d of %d episodes finished in %s%n", finished.size(),
                        episodes, logFile);
                episodeLog = Files.newBufferedWriter(logFile, java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.APPEND);
            } else {
                episodeLog = Files.newBufferedWriter(logFile);
            }
        }
        try (java.io.Writer log = episodeLog; ProgressBar bar = new ProgressBarBuilder().setTaskName("eval " + label).setInitialMax(episodes)
                .setUnit(" ep", 1).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500)
                .startsFrom(finished.size(), java.time.Duration.ZERO)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build()) {
            ProgressListener progress = new ProgressListener(bar, budget, log);
            progress.alreadyFinished(finished.values());
            report = Evaluation.run(source, models, planner, budget, settings, progress, finished);
        }
        if (results != null) {
            JSON.writeValue(results.toFile(), report);
        }
        if (json) {
            System.out.println(JSON.writeValueAsString(summary(report)));
        } else {
            printTable(report);
        }
        return 0;
    }

    /** The episodes of an interrupted run, by index; a line that is not an episode result is an error naming it. */
    static Map<Integer, EpisodeResult> finishedEpisodes(Path logFile) throws java.io.IOException {
        Map<Integer, EpisodeResult> finished = new java.util.TreeMap<>();
        if (!Files.exists(logFile)) {
            return finished;
        }
        List<String> lines = Files.readAllLines(logFile);
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            if (line.isBlank()) {
                continue;
            }
            EpisodeResult r;
            try {
                r = LINE.readValue(line, EpisodeResult.class);
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                if (n == lines.size() - 1) {
                    // The last line of a killed run may be cut off: that episode is planned again, and the log is
                    // rewritten without the fragment (atomically) so that appended episodes start on a line of their own.
                    System.err.printf(Locale.ROOT, "%s: line %d is incomplete; that episode is planned again%n",
                            logFile, n + 1);
                    Path kept = logFile.resolveSibling(logFile.getFileName() + ".tmp");
                    Files.write(kept, lines.subList(0, n));
                    Files.move(kept, logFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    continue;
                }
                throw new IllegalArgumentException(logFile + " line " + (n + 1) + " is not an episode result: "
                        + e.getOriginalMessage());
            }
            if (finished.put(r.episodeIndex(), r) != null) {
                throw new IllegalArgumentException(logFile + " holds episode " + r.episodeIndex() + " twice (line "
                        + (n + 1) + ")");
            }
        }
        return finished;
    }

    private String environment(ModelBundle bundle) {
        if (bundle != null) {
            String own = bundle.manifest().environment();
            if (env != null && !EnvironmentKind.parse(env).cliName().equals(own)) {
                throw new IllegalArgumentException("bundle " + bundle.manifest().name() + " is a " + own
                        + " model; --env " + env + " does not match");
            }
            return own;
        }
        if (env == null) {
            throw new IllegalArgumentException("--env wall|pusht is required with --oracle and --random");
        }
        return EnvironmentKind.parse(env).cliName();
    }

    private Path datasetFor(String environment) {
        if (dataset != null || !environment.equals("pusht")) {
            return dataset;
        }
        Path fallback = Path.of(System.getenv().getOrDefault("QWM_HOME", ".")).resolve(".qwm/data/pusht");
        if (!Files.isDirectory(fallback)) {
            throw new IllegalArgumentException("PushT goals come from a dataset's validation trajectories and there is"
                    + " none at " + fallback + ": pass --dataset DIR or make one with ./qwm dataset --env pusht --out "
                    + ".qwm/data/pusht");
        }
        return fallback;
    }

    private PlannerBudget budget(String environment) {
        PlannerBudget b = PlannerBudget.dinoWm(environment);
        if (horizon != null) {
            b = b.withHorizon(horizon);
        }
        if (samples != null) {
            b = b.withSamples(samples);
        }
        if (topK != null) {
            b = b.withTopK(topK);
        }
        if (optSteps != null) {
            b = b.withOptSteps(optSteps);
        }
        if (maxIter != null) {
            b = b.withMaxIter(maxIter);
        }
        if (varScale != null) {
            b = b.withVarScale(varScale);
        }
        if (alpha != null) {
            b = b.withObjectiveAlpha(alpha);
        }
        return b;
    }

    private static String describe(PlannerBudget b, Planner planner) {
        if (planner instanceof RandomPlanner) {
            return String.format(Locale.ROOT, "random actions, horizon %d, max-iter %d", b.horizon(), b.maxIter());
        }
        return String.format(Locale.ROOT, "CEM horizon %d, samples %d, top-k %d, var %.2g, opt-steps %d, "
                        + "max-iter %d, alpha %.3g", b.horizon(), b.samples(), b.topK(), b.varScale(), b.optSteps(),
                b.maxIter(), b.objectiveAlpha());
    }

    /** Episodes done, success so far and the running episode's MPC iteration on the progress line. */
    private static final class ProgressListener implements PlanningListener {
        private final ProgressBar bar;
        private final PlannerBudget budget;
        private int done;
        private int successes;

        private final java.io.Writer episodeLog;

        ProgressListener(ProgressBar bar, PlannerBudget budget, java.io.Writer episodeLog) {
            this.bar = bar;
            this.budget = budget;
            this.episodeLog = episodeLog;
        }

        @Override
        public synchronized void onCemStep(EpisodeSpec episode, CemStepMetrics m) {
            bar.setExtraMessage(String.format(Locale.ROOT, " success %d/%d | ep %d iter %d/%d cem %d/%d loss %.3g",
                    successes, done, episode.index(), m.mpcIteration() + 1, budget.maxIter(), m.cemStep() + 1,
                    budget.optSteps(), m.bestLoss()));
        }

        @Override
        public synchronized void onMpcIteration(EpisodeSpec episode, MpcIterationMetrics m) {
            bar.setExtraMessage(String.format(Locale.ROOT, " success %d/%d | ep %d iter %d/%d dist %.1f",
                    successes, done, episode.index(), m.mpcIteration() + 1, budget.maxIter(), m.stateDistance()));
        }

        /** Counts the episodes of an interrupted run on the progress line. */
        void alreadyFinished(java.util.Collection<EpisodeResult> finished) {
            for (EpisodeResult r : finished) {
                done++;
                if (r.success()) {
                    successes++;
                }
            }
            if (done > 0) {
                showSuccess();
            }
        }

        @Override
        public synchronized void onEpisodeCompleted(EpisodeResult r) {
            if (episodeLog != null) {
                try {
                    episodeLog.write(LINE.writeValueAsString(r));
                    episodeLog.write('\n');
                    episodeLog.flush();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException("cannot append to the episode log", e);
                }
            }
            done++;
            if (r.success()) {
                successes++;
            }
            bar.step();
            showSuccess();
        }

        private void showSuccess() {
            bar.setExtraMessage(String.format(Locale.ROOT, " success %d/%d (%.0f%%)", successes, done,
                    100.0 * successes / done));
        }
    }

    static ObjectNode summary(EvaluationReport r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("environment", r.environment());
        o.put("model", r.modelReference());
        o.put("planner", r.planner());
        o.put("episodes", r.episodes());
        o.put("successes", r.successes());
        o.put("success_rate", r.successRate());
        o.put("ci95_low", r.ci95Low());
        o.put("ci95_high", r.ci95High());
        o.put("mean_final_state_distance", r.meanFinalStateDistance());
        putNumber(o, "mean_plan_loss", r.meanFinalBestLoss());
        putNumber(o, "ms_per_cem_step", r.msPerCemStep());
        putNumber(o, "cpu_ms_per_cem_step", r.cpuMsPerCemStep());
        o.put("cem_steps", r.cemSteps());
        o.put("mean_mpc_iterations", r.meanMpcIterations());
        putNumber(o, "episodes_per_minute", r.episodesPerMinute());
        o.put("wall_time_ms", r.wallTimeMs());
        ObjectNode b = o.putObject("budget");
        PlannerBudget budget = r.budget();
        b.put("horizon", budget.horizon());
        b.put("samples", budget.samples());
        b.put("top_k", budget.topK());
        b.put("var_scale", budget.varScale());
        b.put("opt_steps", budget.optSteps());
        b.put("max_iter", budget.maxIter());
        b.put("objective_alpha", budget.objectiveAlpha());
        b.put("executed_actions", budget.executedActions());
        ObjectNode s = o.putObject("seeding");
        s.put("seed_base", r.settings().seedBase());
        s.put("seed_offset", r.settings().seedOffset());
        s.put("split", r.settings().split().name().toLowerCase(Locale.ROOT));
        s.put("planner_seed", r.settings().plannerSeed());
        return o;
    }

    private static void putNumber(ObjectNode o, String field, double v) {
        if (Double.isNaN(v)) {
            o.putNull(field);
        } else {
            o.put(field, v);
        }
    }

    private static void printTable(EvaluationReport r) {
        System.out.println();
        System.out.println("model    " + r.modelReference());
        System.out.println("planner  " + describe(r.budget(), r.planner().equals("random")
                ? new RandomPlanner() : new CemPlanner()));
        System.out.printf(Locale.ROOT, "episodes %d on %s, seeds %dn+%d (%s split)%n", r.episodes(), r.environment(),
                r.settings().seedBase(), r.settings().seedOffset(), r.settings().split().name().toLowerCase(Locale.ROOT));
        Table t = new Table("metric", "value");
        t.row("success rate", String.format(Locale.ROOT, "%.3f (%d/%d)", r.successRate(), r.successes(), r.episodes()));
        t.row("95% Wilson interval", String.format(Locale.ROOT, "%.3f .. %.3f", r.ci95Low(), r.ci95High()));
        t.row("mean final state distance", String.format(Locale.ROOT, "%.2f", r.meanFinalStateDistance()));
        t.row("mean plan loss", Double.isNaN(r.meanFinalBestLoss()) ? "n/a"
                : String.format(Locale.ROOT, "%.4g", r.meanFinalBestLoss()));
        t.row("ms per CEM step (" + r.budget().samples() + " x " + r.budget().horizon() + ")", Double.isNaN(r.msPerCemStep()) ? "n/a (no CEM)"
                : String.format(Locale.ROOT, "%.2f", r.msPerCemStep()));
        if (!Double.isNaN(r.cpuMsPerCemStep())) {
            t.row("  CPU ms of the planning thread", String.format(Locale.ROOT, "%.2f", r.cpuMsPerCemStep()));
        }
        t.row("mean MPC iterations", String.format(Locale.ROOT, "%.2f", r.meanMpcIterations()));
        t.row("episodes per minute", Double.isNaN(r.episodesPerMinute()) ? "n/a (none planned in this run)"
                : String.format(Locale.ROOT, "%.1f", r.episodesPerMinute()));
        t.row("wall time", String.format(Locale.ROOT, "%.1f s", r.wallTimeMs() / 1000.0));
        System.out.println();
        t.print(System.out);
    }

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper LINE = new ObjectMapper();
}
