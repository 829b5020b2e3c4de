package dev.qwm.planning.oracle;

import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.cem.CemPlanner;
import dev.qwm.planning.cem.RandomPlanner;
import dev.qwm.planning.eval.EpisodeSource;
import dev.qwm.planning.eval.EpisodeSources;
import dev.qwm.planning.eval.Evaluation;
import dev.qwm.planning.eval.EvaluationReport;
import dev.qwm.planning.eval.EvaluationSettings;
import dev.qwm.planning.mpc.CemStepMetrics;
import dev.qwm.planning.mpc.EpisodeResult;
import dev.qwm.planning.mpc.MpcIterationMetrics;
import dev.qwm.planning.mpc.PlanningListener;
import dev.qwm.planning.mpc.EpisodeSpec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CEM and MPC on the true Wall simulator, apart from any learned model. */
class OracleWallPlanningTest {

    static final EpisodeSource WALL = EpisodeSources.wall();
    // docs/experiments/feasibility.md: 39/50 with max_iter 5 on seeds 99n+1; 12 episodes keep the test fast
    static final PlannerBudget BUDGET = PlannerBudget.dinoWm("wall").withMaxIter(5);
    static final EvaluationSettings SETTINGS = EvaluationSettings.evaluation(12);

    @Test
    void cemOnTheTrueSimulatorSolvesMostEpisodesAndRandomActionsAlmostNone() {
        List<CemStepMetrics> cemSteps = new ArrayList<>();
        List<MpcIterationMetrics> iterations = new ArrayList<>();
        PlanningListener recorder = new PlanningListener() {
            @Override
            public void onCemStep(EpisodeSpec episode, CemStepMetrics m) {
                cemSteps.add(m);
            }

            @Override
            public void onMpcIteration(EpisodeSpec episode, MpcIterationMetrics m) {
                iterations.add(m);
            }
        };
        EvaluationReport oracle = Evaluation.run(WALL, () -> OracleWorldModel.withDinoWmActionStatistics(
                WALL::newEnvironment), new CemPlanner(), BUDGET, SETTINGS, recorder);
        EvaluationReport random = Evaluation.run(WALL, () -> OracleWorldModel.withDinoWmActionStatistics(
                WALL::newEnvironment), new RandomPlanner(), BUDGET, SETTINGS, PlanningListener.NONE);
        System.out.printf("oracle %d/%d (%.1f ms per CEM step), random %d/%d%n", oracle.successes(),
                oracle.episodes(), oracle.msPerCemStep(), random.successes(), random.episodes());

        assertTrue(oracle.successes() >= 7, "oracle solved only " + oracle.successes() + "/12");
        assertTrue(random.successes() <= 2, "random actions solved " + random.successes() + "/12");

        EpisodeResult first = oracle.results().get(0);
        assertEquals(1, first.episodeSeed());
        assertEquals(100, oracle.results().get(1).episodeSeed());
        assertEquals(BUDGET, first.budget());
        assertEquals("oracle:wall", first.modelReference());
        // the oracle's imagination is the simulator: no divergence between imagined and real final states
        assertTrue(iterations.stream().allMatch(m -> m.visualDivergence() < 1e-3), "oracle diverged");
        assertTrue(cemSteps.stream().allMatch(m -> m.visualDivergence() < 1e-3), "oracle diverged in CEM");
        assertEquals(oracle.cemSteps(), cemSteps.size());
        for (EpisodeResult r : oracle.results()) {
            assertEquals(r.mpcIterations() * 10, r.cemSteps());
            MpcIterationMetrics last = r.iterations().get(r.iterations().size() - 1);
            assertEquals(r.success(), last.success());
            assertEquals(r.mpcIterations() * 25, r.envSteps());
            if (r.success()) {
                assertTrue(r.finalStateDistance() < 4.5);
                assertEquals(r.mpcIterations() - 1, r.successIteration(), "MPC stops at the first success");
            }
        }
    }

    @Test
    void theSameSeedsGiveTheSameEvaluation() {
        EvaluationSettings three = EvaluationSettings.evaluation(3).withPlannerSeed(5);
        PlannerBudget small = BUDGET.withMaxIter(2);
        EvaluationReport a = Evaluation.run(WALL, () -> OracleWorldModel.withDinoWmActionStatistics(
                WALL::newEnvironment), new CemPlanner(), small, three, PlanningListener.NONE);
        EvaluationReport b = Evaluation.run(WALL, () -> OracleWorldModel.withDinoWmActionStatistics(
                WALL::newEnvironment), new CemPlanner(), small, three.withWorkers(2), PlanningListener.NONE);
        for (int i = 0; i < 3; i++) {
            EpisodeResult x = a.results().get(i);
            EpisodeResult y = b.results().get(i);
            assertEquals(x.finalStateDistance(), y.finalStateDistance(), 0.0, "episode " + i);
            assertEquals(x.finalBestLoss(), y.finalBestLoss(), 0.0, "episode " + i);
            assertEquals(x.success(), y.success());
        }
    }
}
