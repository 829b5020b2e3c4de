package dev.qwm.planning.mpc;

import dev.qwm.env.Environment;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.ActionNormalization;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Observation;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.WorldModel;
import dev.qwm.planning.cem.CemStepObserver;
import dev.qwm.planning.cem.PlanResult;
import dev.qwm.planning.cem.Planner;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Model-predictive control as DINO-WM's {@code MPCPlanner}: plan {@code horizon} macro actions with the sub-planner
 * from the current observation, execute {@code executedActions} of them (all, by default) in the real environment,
 * replan from the state reached; success is checked at every iteration boundary and is cumulative; at most
 * {@code maxIter} iterations. The goal is encoded once per episode, the start once per plan.
 *
 * <p>A runner is bound to one world model and is not thread-safe; run episodes in parallel with one runner (and
 * one model) per thread.
 */
public final class MpcEpisodeRunner {

    private final WorldModel model;
    private final Planner planner;
    private final PlannerBudget budget;
    private final Supplier<Environment> environments;
    private final boolean evaluateCemSteps;

    /**
     * @param environments     makes fresh environment instances of the task (the real one, a goal renderer and a
     *                         scratch copy to execute CEM's mean plans)
     * @param evaluateCemSteps execute the mean plan after every CEM step (DINO-WM's {@code eval_every=1}); costs one
     *                         extra rollout and encoding per step, outside the timed CEM step
     */
    public MpcEpisodeRunner(WorldModel model, Planner planner, PlannerBudget budget,
                            Supplier<Environment> environments, boolean evaluateCemSteps) {
        if (model.actionDim() != model.actionNormalization().macroDim()) {
            throw new IllegalArgumentException("model " + model.reference() + ": actionDim " + model.actionDim()
                    + " differs from its action normalisation's " + model.actionNormalization().macroDim());
        }
        this.model = model;
        this.planner = planner;
        this.budget = budget;
        this.environments = environments;
        this.evaluateCemSteps = evaluateCemSteps;
    }

    public PlannerBudget budget() {
        return budget;
    }

    public EpisodeResult run(EpisodeSpec episode, long plannerSeed, PlanningListener listener) {
        long wall0 = System.nanoTime();
        listener.onEpisodeStarted(episode);
        Environment env = environments.get();
        checkEnvironment(env);
        Environment scratch = environments.get();
        double[] goalState = episode.goalState();

        // The goal observation is a pure function of the goal state (no simulator step, exact for PushT too).
        byte[] goalImage = model.imageSize() > 0 ? env.render(goalState, model.imageSize()) : null;
        Latent goal = model.encode(new Observation(goalImage, model.imageSize(), env.proprioOf(goalState), goalState));

        env.reset(episode.startState());
        Latent initial = model.encode(Observation.of(env, model.imageSize()));
        SplittableRandom rng = new SplittableRandom(mix(plannerSeed, episode.seed()));
        ActionNormalization norm = model.actionNormalization();
        int a = model.actionDim();

        List<MpcIterationMetrics> iterations = new ArrayList<>();
        List<CemStepMetrics> cemSteps = new ArrayList<>();
        List<float[]> executed = new ArrayList<>();
        boolean success = false;
        int successIteration = -1;
        int envSteps = 0;
        double lastBestLoss = Double.NaN;
        long cemNanos = 0;
        long cemCpuNanos = 0;
        boolean cpuMeasured = true;
        int cemCount = 0;

        Latent current = initial;
        ActionBatch leftover = null; // planned but not executed (only when executedActions < horizon)
        for (int iter = 0; iter < budget.maxIter() && !success; iter++) {
            final int mpcIteration = iter;
            final Latent start = current;
            final double[] iterationStartState = env.state();
            CemStepObserver observer = step -> {
                CemStepMetrics m = evaluateCemSteps
                        ? evaluateMeanPlan(mpcIteration, step.step(), step.bestLoss(), step.mean(), start,
                                iterationStartState, scratch, goalState, step.nanos())
                        : new CemStepMetrics(mpcIteration, step.step(), step.bestLoss(), false, Double.NaN,
                                Double.NaN, Double.NaN, step.nanos());
                cemSteps.add(m);
                listener.onCemStep(episode, m);
            };
            PlanResult plan = planner.plan(model, start, goal, budget, rng, observer, leftover);
            for (int s = 0; s < plan.stepNanos().length; s++) {
                cemNanos += plan.stepNanos()[s];
                cemCpuNanos += plan.stepCpuNanos()[s];
                cpuMeasured &= plan.stepCpuNanos()[s] >= 0;
                cemCount++;
            }
            lastBestLoss = plan.bestLoss();

            ActionBatch actions = plan.actions();
            int rest = actions.horizon() - budget.executedActions();
            leftover = rest == 0 ? null : ActionBatch.single(rest, a, java.util.Arrays.copyOfRange(actions.data(),
                    actions.offset(0, budget.executedActions()), actions.data().length));
            for (int t = 0; t < budget.executedActions(); t++) {
                float[] macro = new float[a];
                System.arraycopy(actions.data(), actions.offset(0, t), macro, 0, a);
                executed.add(macro);
                envSteps += execute(env, norm, macro, 0);
            }
            success = env.isSuccess(goalState); // DINO-WM checks at iteration boundaries only
            if (success) {
                successIteration = iter;
            }
            Observation now = Observation.of(env, model.imageSize());
            current = model.encode(now);
            Latent imagined = model.rollout(initial, ActionBatch.single(executed.size(), a, flatten(executed)))[0];
            MpcIterationMetrics m = new MpcIterationMetrics(iter, success, env.stateDistance(goalState),
                    plan.bestLoss(), imagined.visualDistance(current), imagined.proprioDistance(current), envSteps,
                    plan.totalNanos());
            iterations.add(m);
            listener.onMpcIteration(episode, m);
        }
        long wallMs = (System.nanoTime() - wall0) / 1_000_000;
        EpisodeResult result = new EpisodeResult(episode.index(), episode.seed(), episode.split(), episode.origin(),
                model.environment(), model.reference(), planner.name(), budget, plannerSeed, success,
                successIteration, env.stateDistance(goalState), lastBestLoss, iterations.size(), envSteps, wallMs,
                cemCount == 0 ? Double.NaN : cemNanos / 1e6 / cemCount,
                cemCount == 0 || !cpuMeasured ? Double.NaN : cemCpuNanos / 1e6 / cemCount, cemCount, iterations,
                cemSteps);
        listener.onEpisodeCompleted(result);
        return result;
    }

    private CemStepMetrics evaluateMeanPlan(int mpcIteration, int cemStep, double bestLoss, ActionBatch mean,
                                            Latent start, double[] startState, Environment scratch,
                                            double[] goalState, long nanos) {
        scratch.reset(startState);
        ActionNormalization norm = model.actionNormalization();
        for (int t = 0; t < mean.horizon(); t++) {
            execute(scratch, norm, mean.data(), mean.offset(0, t));
        }
        Latent imagined = model.rollout(start, mean)[0];
        Latent real = model.encode(Observation.of(scratch, model.imageSize()));
        return new CemStepMetrics(mpcIteration, cemStep, bestLoss, scratch.isSuccess(goalState),
                scratch.stateDistance(goalState), imagined.visualDistance(real), imagined.proprioDistance(real),
                nanos);
    }

    /** Executes one normalised macro action as {@code frameskip} env steps; returns the number of env steps. */
    static int execute(Environment env, ActionNormalization norm, float[] normalized, int offset) {
        double[][] envActions = norm.toEnvActions(normalized, offset);
        for (double[] action : envActions) {
            env.step(action);
        }
        return envActions.length;
    }

    private void checkEnvironment(Environment env) {
        if (!env.kind().cliName().equals(model.environment())) {
            throw new IllegalArgumentException("model " + model.reference() + " is for environment '"
                    + model.environment() + "' but the episodes are " + env.kind().cliName());
        }
        ActionNormalization norm = model.actionNormalization();
        if (norm.frameskip() != env.frameskip() || norm.envActionDim() != env.actionDim()) {
            throw new IllegalArgumentException("model " + model.reference() + " plans macro actions of "
                    + norm.frameskip() + " x " + norm.envActionDim() + " but environment " + env.kind().cliName()
                    + " has frameskip " + env.frameskip() + " and action dim " + env.actionDim());
        }
        // a model shown frames drawn otherwise than those it learned plans on a shifted input, silently
        if (model.imageSize() > 0 && env.frameStyle() != model.frameStyle()) {
            throw new IllegalArgumentException("model " + model.reference() + " reads " + model.frameStyle().cliName()
                    + " frames but the environment draws " + env.frameStyle().cliName() + " frames: make its "
                    + "environments with the bundle's frame style");
        }
    }

    private static float[] flatten(List<float[]> steps) {
        int a = steps.get(0).length;
        float[] out = new float[steps.size() * a];
        for (int i = 0; i < steps.size(); i++) {
            System.arraycopy(steps.get(i), 0, out, i * a, a);
        }
        return out;
    }

    /** A well-spread planner stream per episode, so episodes are independent and reproducible in any order. */
    static long mix(long plannerSeed, long episodeSeed) {
        long z = plannerSeed * 0x9E3779B97F4A7C15L + episodeSeed;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
