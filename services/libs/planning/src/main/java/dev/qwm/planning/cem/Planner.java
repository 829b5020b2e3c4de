package dev.qwm.planning.cem;

import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.WorldModel;

import java.util.random.RandomGenerator;

/** Plans a sequence of {@code budget.horizon()} normalised macro actions from a start latent toward a goal latent. */
public interface Planner {

    /** A short name for result rows ("cem", "random"). */
    String name();

    default PlanResult plan(WorldModel model, Latent start, Latent goal, PlannerBudget budget, RandomGenerator rng,
                            CemStepObserver observer) {
        return plan(model, start, goal, budget, rng, observer, null);
    }

    /**
     * Plans with the first macro actions of the initial mean taken from {@code warmStart} (the previous plan's
     * unexecuted actions, as DINO-WM's MPC passes them when it executes fewer than the horizon); null for none.
     */
    PlanResult plan(WorldModel model, Latent start, Latent goal, PlannerBudget budget, RandomGenerator rng,
                    CemStepObserver observer, ActionBatch warmStart);
}
