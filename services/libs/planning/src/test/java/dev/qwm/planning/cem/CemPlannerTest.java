package dev.qwm.planning.cem;

import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import dev.qwm.planning.PlannerBudget;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CemPlannerTest {

    // horizon 5 x 2 dims; the target lies 1-2 sigma away from CEM's initial N(0, 1)
    static final float[] TARGET = {1.2f, -0.7f, 0.3f, 1.5f, -1.1f, 0.0f, 0.8f, -1.6f, 0.4f, 1.0f};
    static final Latent GOAL = new Latent(TARGET, new float[0]);
    static final Latent START = new Latent(new float[0], new float[0]);

    static PlannerBudget budget(int optSteps) {
        return PlannerBudget.dinoWm("wall").withOptSteps(optSteps);
    }

    @Test
    void findsTheMinimumOfAQuadratic() {
        QuadraticWorldModel model = new QuadraticWorldModel(2);
        List<CemStep> steps = new ArrayList<>();
        PlanResult plan = new CemPlanner().plan(model, START, GOAL, budget(30), new SplittableRandom(7), steps::add);

        float[] mu = plan.actions().data();
        for (int i = 0; i < TARGET.length; i++) {
            assertEquals(TARGET[i], mu[i], 0.02, "coordinate " + i + " of the mean plan");
        }
        assertEquals(30, steps.size());
        assertTrue(plan.bestLoss() < 1e-3, "best loss " + plan.bestLoss());
        assertTrue(steps.get(29).bestLoss() < steps.get(0).bestLoss() / 100,
                "loss fell from " + steps.get(0).bestLoss() + " to " + steps.get(29).bestLoss());
    }

    @Test
    void sampleZeroIsTheMeanAndEveryStepScoresOneBatch() {
        QuadraticWorldModel model = new QuadraticWorldModel(2);
        List<CemStep> steps = new ArrayList<>();
        new CemPlanner().plan(model, START, GOAL, budget(4), new SplittableRandom(1), steps::add);

        assertEquals(4, model.scoredBatches.size(), "one batched score call per CEM step");
        int dim = TARGET.length;
        assertEquals(300 * dim, model.scoredBatches.get(0).length);
        float[] first = model.scoredBatches.get(0);
        for (int i = 0; i < dim; i++) {
            assertEquals(0f, first[i], "sample 0 of step 0 is the initial mean 0");
        }
        for (int s = 1; s < 4; s++) {
            float[] sample0 = new float[dim];
            System.arraycopy(model.scoredBatches.get(s), 0, sample0, 0, dim);
            assertArrayEquals(steps.get(s - 1).mean().data(), sample0, "sample 0 of step " + s);
        }
    }

    @Test
    void theSameSeedGivesTheSamePlan() {
        PlanResult a = new CemPlanner().plan(new QuadraticWorldModel(2), START, GOAL, budget(5),
                new SplittableRandom(42), CemStepObserver.NONE);
        PlanResult b = new CemPlanner().plan(new QuadraticWorldModel(2), START, GOAL, budget(5),
                new SplittableRandom(42), CemStepObserver.NONE);
        PlanResult c = new CemPlanner().plan(new QuadraticWorldModel(2), START, GOAL, budget(5),
                new SplittableRandom(43), CemStepObserver.NONE);
        assertArrayEquals(a.actions().data(), b.actions().data());
        assertArrayEquals(a.stepBestLosses(), b.stepBestLosses());
        assertTrue(!java.util.Arrays.equals(a.actions().data(), c.actions().data()), "another seed, another plan");
    }

    @Test
    void refitIsMeanAndUnbiasedStdOfTheElites() {
        // 3 candidates of dim 1: values 1, 5, 3; elites (k = 2) by order {0, 2}
        float[] data = {1f, 5f, 3f};
        double[] mu = new double[1];
        double[] sigma = new double[1];
        CemPlanner.refit(data, new Integer[] {0, 2, 1}, 2, 1, mu, sigma);
        assertEquals(2.0, mu[0], 1e-12);
        assertEquals(Math.sqrt(2.0), sigma[0], 1e-12); // ((1-2)^2 + (3-2)^2) / (2-1)
    }

    @Test
    void randomPlannerDrawsFromTheInitialDistribution() {
        PlanResult p = new RandomPlanner().plan(new QuadraticWorldModel(2), START, GOAL, budget(1),
                new SplittableRandom(3), CemStepObserver.NONE);
        ActionBatch a = p.actions();
        assertEquals(5, a.horizon());
        assertTrue(Double.isNaN(p.bestLoss()));
    }

    @Test
    void aWarmStartSeedsTheFirstMacroActionsOfTheInitialMean() {
        QuadraticWorldModel model = new QuadraticWorldModel(2);
        ActionBatch leftover = ActionBatch.single(2, 2, new float[] {0.5f, -0.5f, 1f, 2f});
        new CemPlanner().plan(model, START, GOAL, budget(1), new SplittableRandom(1), CemStepObserver.NONE,
                leftover);
        float[] sample0 = java.util.Arrays.copyOf(model.scoredBatches.get(0), TARGET.length);
        assertArrayEquals(new float[] {0.5f, -0.5f, 1f, 2f, 0, 0, 0, 0, 0, 0}, sample0);
    }
}
