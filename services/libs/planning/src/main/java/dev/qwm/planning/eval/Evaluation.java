package dev.qwm.planning.eval;

import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.WorldModel;
import dev.qwm.planning.cem.Planner;
import dev.qwm.planning.mpc.EpisodeResult;
import dev.qwm.planning.mpc.EpisodeSpec;
import dev.qwm.planning.mpc.MpcEpisodeRunner;
import dev.qwm.planning.mpc.PlanningListener;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * QuantWM's evaluation protocol in one process: N seeded episodes of MPC with a planner over a world model,
 * each episode independent (its own simulator, goal and planner stream), optionally several at a time with one
 * world model per worker. The same episodes run in a planner fleet give the same results.
 */
public final class Evaluation {

    private Evaluation() {
    }

    /** The episode specs of an evaluation, in order. */
    public static List<EpisodeSpec> episodes(EpisodeSource source, EvaluationSettings settings) {
        List<EpisodeSpec> specs = new ArrayList<>();
        for (int i = 0; i < settings.episodes(); i++) {
            specs.add(source.episode(i, settings.seedOf(i), settings.split()));
        }
        return specs;
    }

    /**
     * Runs the evaluation. {@code models} is called once per worker and each model closed at the end; the
     * listener is called from the worker threads (synchronise in it when {@code workers > 1}).
     */
    public static EvaluationReport run(EpisodeSource source, Supplier<? extends WorldModel> models, Planner planner,
                                       PlannerBudget budget, EvaluationSettings settings, PlanningListener listener) {
        return run(source, models, planner, budget, settings, listener, Map.of());
    }

    /**
     * Runs the episodes that are not in {@code finished} (results of an interrupted run of the same evaluation, by
     * episode index) and reports all of them. A finished result must be the same episode (seed, split) with the same
     * budget, or the run is refused: mixing evaluations would report a success rate that no run produced.
     */
    public static EvaluationReport run(EpisodeSource source, Supplier<? extends WorldModel> models, Planner planner,
                                       PlannerBudget budget, EvaluationSettings settings, PlanningListener listener,
                                       Map<Integer, EpisodeResult> finished) {
        long t0 = System.nanoTime();
        List<EpisodeSpec> specs = episodes(source, settings);
        EpisodeResult[] results = new EpisodeResult[specs.size()];
        for (Map.Entry<Integer, EpisodeResult> done : finished.entrySet()) {
            int i = done.getKey();
            EpisodeResult r = done.getValue();
            if (i < 0 || i >= specs.size()) {
                throw new IllegalArgumentException("finished episode " + i + " is not one of this evaluation's "
                        + specs.size() + " episodes");
            }
            if (r.episodeIndex() != i || r.episodeSeed() != settings.seedOf(i) || r.split() != settings.split()) {
                throw new IllegalArgumentException("finished episode " + i + " (seed " + r.episodeSeed() + ", "
                        + r.split() + ") is not this evaluation's episode " + i + " (seed " + settings.seedOf(i)
                        + ", " + settings.split() + ")");
            }
            if (!r.budget().equals(budget) || !r.planner().equals(planner.name())) {
                throw new IllegalArgumentException("finished episode " + i + " ran " + r.planner() + " with "
                        + r.budget() + ", this evaluation runs " + planner.name() + " with " + budget);
            }
            results[i] = r;
        }
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            if (results[i] == null) {
                todo.add(i);
            }
        }
        AtomicInteger next = new AtomicInteger();
        String[] reference = new String[1];
        Runnable worker = () -> {
            try (WorldModel model = models.get()) {
                synchronized (reference) {
                    reference[0] = model.reference();
                }
                if (!model.environment().equals(source.environment())) {
                    throw new IllegalArgumentException("model " + model.reference() + " is for '"
                            + model.environment() + "', the episodes are " + source.environment());
                }
                for (EpisodeResult r : finished.values()) {
                    if (!r.modelReference().equals(model.reference())) {
                        throw new IllegalArgumentException("finished episode " + r.episodeIndex() + " was planned with "
                                + r.modelReference() + ", this evaluation's model is " + model.reference());
                    }
                }
                MpcEpisodeRunner runner = new MpcEpisodeRunner(model, planner, budget, source::newEnvironment,
                        settings.evaluateCemSteps());
                for (int k = next.getAndIncrement(); k < todo.size(); k = next.getAndIncrement()) {
                    int i = todo.get(k);
                    results[i] = runner.run(specs.get(i), settings.plannerSeed(), listener);
                }
            }
        };
        if (settings.workers() == 1) {
            worker.run();
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(settings.workers(), r -> {
                Thread t = new Thread(r, "qwm-eval-worker");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int w = 0; w < settings.workers(); w++) {
                    futures.add(pool.submit(worker));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("evaluation interrupted", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException("evaluation worker failed: " + cause, cause);
            } finally {
                pool.shutdownNow();
            }
        }
        List<EpisodeResult> list = Arrays.stream(results).sorted(Comparator.comparingInt(EpisodeResult::episodeIndex))
                .toList();
        long wallMs = (System.nanoTime() - t0) / 1_000_000;
        return EvaluationReport.of(source.environment(), reference[0], planner.name(), budget, settings, list,
                wallMs, todo.size());
    }
}
