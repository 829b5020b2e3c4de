package dev.qwm.planning.cem;

import dev.qwm.env.Environment;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.registry.Environments;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Observation;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.WorldModel;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Times CEM steps on the real planning path: {@link CemPlanner} with one optimisation step per call, so a step is
 * drawing the candidates, scoring all of them in one batched {@link WorldModel#score} (DINO-WM's rollout of
 * {@code samples} sequences over the horizon) and refitting. Start and goal come from the model's environment (its
 * initial state, and that state after one macro action per horizon step) and are encoded once, as per plan; their
 * content does not change the cost. The cost budget (planning README): 300 candidates x horizon 5 within 150 ms
 * (Wall) and 400 ms (PushT) on one core. Not thread-safe, like the model.
 */
public final class CemStepTimer {

    /** One CEM step: wall time and the calling thread's CPU time (NaN where the JVM cannot measure it). */
    public record Step(double wallMs, double cpuMs) {
    }

    /** Over {@code runs} steps after one warm-up: least and median wall time, least thread CPU time. */
    public record Timing(double minMs, double medianMs, double minCpuMs, int runs) {
    }

    private final WorldModel model;
    private final PlannerBudget budget;
    private final Latent start;
    private final Latent goal;
    private final SplittableRandom rng;
    private final CemPlanner planner = new CemPlanner();

    /** CEM of {@code candidates} x {@code horizon} otherwise as DINO-WM plans in the model's environment. */
    public CemStepTimer(WorldModel model, int candidates, int horizon, long seed) {
        PlannerBudget b = PlannerBudget.dinoWm(model.environment()).withHorizon(horizon);
        this.budget = b.withTopK(Math.min(b.topK(), candidates)).withSamples(candidates).withOptSteps(1);
        this.model = model;
        this.rng = new SplittableRandom(seed);
        Environment env = Environments.create(EnvironmentKind.parse(model.environment()), model.frameStyle());
        this.start = model.encode(Observation.of(env, model.imageSize()));
        float[] push = new float[model.actionDim()];
        Arrays.fill(push, 1f); // one standard deviation per coordinate: a plausible goal a few macro actions away
        for (int t = 0; t < horizon; t++) {
            for (double[] action : model.actionNormalization().toEnvActions(push, 0)) {
                env.step(action);
            }
        }
        this.goal = model.encode(Observation.of(env, model.imageSize()));
    }

    public PlannerBudget budget() {
        return budget;
    }

    /** One CEM step. */
    public Step step() {
        PlanResult r = planner.plan(model, start, goal, budget, rng, CemStepObserver.NONE);
        long cpu = r.stepCpuNanos()[0];
        return new Step(r.stepNanos()[0] / 1e6, cpu < 0 ? Double.NaN : cpu / 1e6);
    }

    /** {@code runs} CEM steps of {@code candidates} x {@code horizon} after one warm-up step. */
    public static Timing measure(WorldModel model, int candidates, int horizon, int runs) {
        if (runs < 1) {
            throw new IllegalArgumentException("runs must be >= 1, got " + runs);
        }
        CemStepTimer timer = new CemStepTimer(model, candidates, horizon, 1);
        timer.step();
        double[] wall = new double[runs];
        double minCpu = Double.POSITIVE_INFINITY;
        for (int i = 0; i < runs; i++) {
            Step s = timer.step();
            wall[i] = s.wallMs();
            minCpu = Math.min(minCpu, s.cpuMs());
        }
        Arrays.sort(wall);
        return new Timing(wall[0], wall[runs / 2], Double.isInfinite(minCpu) ? Double.NaN : minCpu, runs);
    }
}
