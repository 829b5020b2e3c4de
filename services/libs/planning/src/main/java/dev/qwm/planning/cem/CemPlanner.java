package dev.qwm.planning.cem;

import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Objective;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.WorldModel;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The cross-entropy method exactly as DINO-WM / QuantWM's {@code CEMPlanner.plan}: in the normalised action space,
 * mean 0 and sigma {@code var_scale}; each step draws {@code samples} sequences {@code mu + sigma * N(0, 1)},
 * replaces sample 0 by {@code mu}, scores all of them in one batched world-model call, and refits mean and
 * (unbiased, as {@code torch.std}) standard deviation to the {@code top_k} lowest losses. A warm start (MPC's
 * unexecuted actions) seeds the first macro actions of the initial mean.
 *
 * <p>Unlike DINO-WM, which evaluates 50 episodes together and stops CEM early only when all of them succeed, an
 * episode here never stops CEM because the simulator reports success: that early stop would leak the true
 * simulator into the planner of a single episode.
 */
public final class CemPlanner implements Planner {

    @Override
    public String name() {
        return "cem";
    }

    @Override
    public PlanResult plan(WorldModel model, Latent start, Latent goal, PlannerBudget budget, RandomGenerator rng,
                           CemStepObserver observer, ActionBatch warmStart) {
        int h = budget.horizon();
        int a = model.actionDim();
        int n = budget.samples();
        int k = budget.topK();
        int dim = h * a;
        Objective objective = budget.objective();

        double[] mu = new double[dim];
        if (warmStart != null) {
            // DINO-WM's init_mu_sigma: leftover actions first, zeros after; sigma stays var_scale everywhere
            if (warmStart.batch() != 1 || warmStart.actionDim() != a || warmStart.horizon() > h) {
                throw new IllegalArgumentException("warm start must be one sequence of at most " + h
                        + " macro actions of dimension " + a + ", got " + warmStart.batch() + " x "
                        + warmStart.horizon() + " x " + warmStart.actionDim());
            }
            for (int i = 0; i < warmStart.data().length; i++) {
                mu[i] = warmStart.data()[i];
            }
        }
        double[] sigma = new double[dim];
        Arrays.fill(sigma, budget.varScale());
        float[] data = new float[n * dim];
        Integer[] order = new Integer[n];
        double[] stepBest = new double[budget.optSteps()];
        long[] stepNanos = new long[budget.optSteps()];
        long[] stepCpuNanos = new long[budget.optSteps()];

        for (int step = 0; step < budget.optSteps(); step++) {
            long t0 = System.nanoTime();
            long c0 = ThreadCpu.nanos();
            // Draw all samples' noise, sample 0 included, then overwrite sample 0 with the mean (as DINO-WM).
            for (int b = 0; b < n; b++) {
                int off = b * dim;
                for (int i = 0; i < dim; i++) {
                    data[off + i] = (float) (mu[i] + sigma[i] * rng.nextGaussian());
                }
            }
            for (int i = 0; i < dim; i++) {
                data[i] = (float) mu[i];
            }
            double[] losses = model.score(start, goal, new ActionBatch(n, h, a, data), objective);
            for (int b = 0; b < n; b++) {
                if (Double.isNaN(losses[b])) {
                    throw new IllegalStateException("world model " + model.reference() + " gave a NaN loss for "
                            + "candidate " + b + " at CEM step " + step);
                }
                order[b] = b;
            }
            Arrays.sort(order, (x, y) -> Double.compare(losses[x], losses[y]));
            refit(data, order, k, dim, mu, sigma);
            stepBest[step] = losses[order[0]];
            stepNanos[step] = System.nanoTime() - t0;
            stepCpuNanos[step] = ThreadCpu.since(c0);
            observer.onCemStep(new CemStep(step, stepBest[step], ActionBatch.single(h, a, toFloats(mu)),
                    stepNanos[step], stepCpuNanos[step]));
        }
        return new PlanResult(ActionBatch.single(h, a, toFloats(mu)), stepBest[stepBest.length - 1], stepBest,
                stepNanos, stepCpuNanos);
    }

    /** Mean and unbiased standard deviation of the top-k candidates, per action coordinate. */
    static void refit(float[] data, Integer[] order, int k, int dim, double[] mu, double[] sigma) {
        Arrays.fill(mu, 0);
        for (int r = 0; r < k; r++) {
            int off = order[r] * dim;
            for (int i = 0; i < dim; i++) {
                mu[i] += data[off + i];
            }
        }
        for (int i = 0; i < dim; i++) {
            mu[i] /= k;
        }
        Arrays.fill(sigma, 0);
        for (int r = 0; r < k; r++) {
            int off = order[r] * dim;
            for (int i = 0; i < dim; i++) {
                double d = data[off + i] - mu[i];
                sigma[i] += d * d;
            }
        }
        for (int i = 0; i < dim; i++) {
            sigma[i] = Math.sqrt(sigma[i] / (k - 1));
        }
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
