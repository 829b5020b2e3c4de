package dev.qwm.cli;

import dev.qwm.env.FrameStyle;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.qwm.cli.eval.EvalSummary;
import dev.qwm.cli.eval.EvalTable;
import dev.qwm.cli.options.PlannerSeedOption;
import dev.qwm.cli.options.OrtThreadsOption;
import dev.qwm.cli.options.PredictorCallOption;
import dev.qwm.cli.options.PlannerBudgetOptions;
import dev.qwm.cli.options.PushtDatasetOption;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.files.StagedWrite;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.DataSplit;
import dev.qwm.progress.ProgressLine;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.WorldModel;
import dev.qwm.planning.cem.CemPlanner;
import dev.qwm.planning.cem.Planner;
import dev.qwm.planning.cem.RandomPlanner;
import dev.qwm.planning.eval.EpisodeLog;
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
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
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

    @Mixin
    PlannerSeedOption plannerSeed;

    @Mixin
    PlannerBudgetOptions budgetOptions;

    @Mixin
    PushtDatasetOption datasetOption;

    @Mixin
    OrtThreadsOption threadsOption;

    @Mixin
    PredictorCallOption predictorCallOption;

    @Option(names = "--true-dynamics", description = "With --bundle: roll candidates out in the true simulator and score "
            + "them in the bundle's latent space (its encoder and proprio embedding; the predictor is not used). "
            + "Tells whether the encoder's latents carry the planning signal apart from the predictor's errors.")
    boolean trueDynamics;

    @Option(names = "--env", description = "wall or pusht (default: the bundle's environment).")
    String env;

    @Option(names = "--episodes", defaultValue = "50", description = "Episodes, seeds 99n+1 (default: ${DEFAULT-VALUE}).")
    int episodes;

    @Option(names = "--seed-offset", defaultValue = "1", description = "Episode n uses seed 99n+OFFSET (default: ${DEFAULT-VALUE}: evaluation, validation split; 2: calibration episodes, training split).")
    long seedOffset;

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

    @Option(names = "--force", description = "Replace an existing --results FILE and its episode log (both kept whole "
            + "until the new run is complete).")
    boolean force;

    @Override
    public Integer call() throws Exception {
        predictorCallOption.apply();
        ModelBundle bundle = subject.bundle == null ? null : ModelBundle.read(subject.bundle);
        String environment = environment(bundle);
        EpisodeSource source = episodes(bundle, environment, datasetOption.resolve(environment, "validation"));
        PlannerBudget budget = budgetOptions.resolve(environment);
        EvaluationSettings settings = new EvaluationSettings(episodes, 99, seedOffset,
                DataSplit.forSeedOffset(seedOffset), plannerSeed.seed(), !noStepMetrics, workers);
        SessionConfig ort = threadsOption.sessionConfig();
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
                episodes, seedOffset, EvalTable.describe(budget, subject.random));
        if (resume && results == null) {
            throw new IllegalArgumentException("--resume goes on from the episode log of --results FILE: give --results");
        }
        Path logFile = results == null ? null : EpisodeLog.beside(results);
        if (results != null && !resume) {
            // a finished or interrupted run's results: refused before any planning, never emptied
            String hint = "pass --resume to go on from it, or --force to replace it";
            StagedWrite.file(results, "--results", "evaluation report").force(force).replaceHint(hint).check();
            StagedWrite.file(logFile, "--results", "episode log").force(force).replaceHint(hint).check();
        }
        EvalRun run = log -> {
            Map<Integer, EpisodeResult> finished = log == null ? Map.of() : log.finished();
            try (EpisodeLog closed = log; ProgressLine bar = ProgressLine.on(System.err).task("eval " + label)
                    .total(episodes).unit("ep").resumedAt(finished.size(), Duration.ZERO).start()) {
                ProgressListener progress = new ProgressListener(bar, budget, closed);
                progress.alreadyFinished(finished.values());
                return Evaluation.run(source, models, planner, budget, settings, progress, finished);
            }
        };
        EvaluationReport report;
        if (logFile == null) {
            report = run.evaluate(null);
        } else if (resume) {
            EpisodeLog log = EpisodeLog.resume(logFile, System.err::println);
            System.err.printf(Locale.ROOT, "resuming: %d of %d episodes finished in %s%n", log.finished().size(),
                    episodes, logFile);
            report = run.evaluate(log);
        } else if (Files.exists(logFile)) {
            // --force over an old log: the new one is written beside it and replaces it once the run is complete
            report = StagedWrite.file(logFile, "--results", "episode log").force(true)
                    .write(staged -> run.evaluate(EpisodeLog.create(staged)));
        } else {
            report = run.evaluate(EpisodeLog.create(logFile));
        }
        if (results != null) {
            StagedWrite.file(results, "--results", "evaluation report").force(true).write(staged -> {
                JSON.writeValue(staged.toFile(), report);
                return null;
            });
        }
        if (json) {
            System.out.println(JSON.writeValueAsString(EvalSummary.of(report)));
        } else {
            EvalTable.print(report, System.out);
        }
        return 0;
    }

    /** One evaluation writing its finished episodes to {@code log} (null: none), which it closes. */
    @FunctionalInterface
    private interface EvalRun {
        EvaluationReport evaluate(EpisodeLog log) throws java.io.IOException;
    }

    /** A bundle's episodes draw the frames it was trained on; the oracle and random planners read no frames. */
    static EpisodeSource episodes(ModelBundle bundle, String environment, java.nio.file.Path dataset) {
        return bundle != null ? EpisodeSources.forBundle(bundle.manifest(), dataset)
                : EpisodeSources.forEnvironment(environment, FrameStyle.QWM, dataset);
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

    /** Episodes done, success so far and the running episode's MPC iteration on the progress line. */
    private static final class ProgressListener implements PlanningListener {
        private final ProgressLine bar;
        private final PlannerBudget budget;
        private int done;
        private int successes;

        private final EpisodeLog episodeLog;

        ProgressListener(ProgressLine bar, PlannerBudget budget, EpisodeLog episodeLog) {
            this.bar = bar;
            this.budget = budget;
            this.episodeLog = episodeLog;
        }

        @Override
        public synchronized void onCemStep(EpisodeSpec episode, CemStepMetrics m) {
            bar.message(String.format(Locale.ROOT, "success %d/%d | ep %d iter %d/%d cem %d/%d loss %.3g",
                    successes, done, episode.index(), m.mpcIteration() + 1, budget.maxIter(), m.cemStep() + 1,
                    budget.optSteps(), m.bestLoss()));
        }

        @Override
        public synchronized void onMpcIteration(EpisodeSpec episode, MpcIterationMetrics m) {
            bar.message(String.format(Locale.ROOT, "success %d/%d | ep %d iter %d/%d dist %.1f",
                    successes, done, episode.index(), m.mpcIteration() + 1, budget.maxIter(), m.stateDistance()));
        }

        /** Counts the episodes of an interrupted run on the progress line. */
        void alreadyFinished(Collection<EpisodeResult> finished) {
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
                episodeLog.append(r);
            }
            done++;
            if (r.success()) {
                successes++;
            }
            showSuccess();
            bar.step();
        }

        private void showSuccess() {
            bar.message(String.format(Locale.ROOT, "success %d/%d (%.0f%%)", successes, done,
                    100.0 * successes / done));
        }
    }

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
}
