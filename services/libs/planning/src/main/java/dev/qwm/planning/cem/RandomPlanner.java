package dev.qwm.planning.cem;

import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.WorldModel;

import java.util.random.RandomGenerator;

/**
 * The floor every planner is judged against: each plan is one draw of CEM's initial distribution,
 * {@code N(0, var_scale)} in the normalised action space, without looking at the model or the goal.
 */
public final class RandomPlanner implements Planner {

    @Override
    public String name() {
        return "random";
    }

    @Override
    public PlanResult plan(WorldModel model, Latent start, Latent goal, PlannerBudget budget, RandomGenerator rng,
                           CemStepObserver observer, ActionBatch warmStart) {
        long t0 = System.nanoTime();
        int dim = budget.horizon() * model.actionDim();
        float[] seq = new float[dim];
        for (int i = 0; i < dim; i++) {
            seq[i] = (float) (budget.varScale() * rng.nextGaussian());
        }
        long nanos = System.nanoTime() - t0;
        return new PlanResult(ActionBatch.single(budget.horizon(), model.actionDim(), seq), Double.NaN,
                new double[] {Double.NaN}, new long[] {nanos}, new long[] {-1});
    }
}
