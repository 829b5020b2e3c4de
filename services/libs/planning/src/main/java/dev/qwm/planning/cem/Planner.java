package dev.qwm.planning.cem;

import dev.qwm.planning.Latent;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.WorldModel;

import java.util.random.RandomGenerator;

/** Plans a sequence of {@code budget.horizon()} normalised macro actions from a start latent toward a goal latent. */
public interface Planner {

    /** A short name for result rows ("cem", "random"). */
    String name();

    PlanResult plan(WorldModel model, Latent start, Latent goal, PlannerBudget budget, RandomGenerator rng,
                    CemStepObserver observer);
}
