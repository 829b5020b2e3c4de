package dev.qwm.planning.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.cem.CemPlanner;
import dev.qwm.planning.mpc.EpisodeResult;
import dev.qwm.planning.mpc.EpisodeSpec;
import dev.qwm.planning.mpc.PlanningListener;
import dev.qwm.planning.oracle.OracleWorldModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An interrupted evaluation goes on from its finished episodes and reports what one uninterrupted run reports. */
class EvaluationResumeTest {

    static final EpisodeSource WALL = EpisodeSources.wall();
    static final PlannerBudget BUDGET = PlannerBudget.dinoWm("wall").withMaxIter(2).withOptSteps(3);
    static final EvaluationSettings THREE = EvaluationSettings.evaluation(3);

    static EvaluationReport run(PlannerBudget budget, Map<Integer, EpisodeResult> finished, List<Integer> planned) {
        PlanningListener recorder = new PlanningListener() {
            @Override
            public void onEpisodeCompleted(EpisodeResult r) {
                planned.add(r.episodeIndex());
            }
        };
        return Evaluation.run(WALL, () -> OracleWorldModel.withDinoWmActionStatistics(WALL::newEnvironment),
                new CemPlanner(), budget, THREE, recorder, finished);
    }

    @Test
    void aResumedEvaluationPlansOnlyTheMissingEpisodesAndReportsThemAll() {
        EvaluationReport whole = run(BUDGET, Map.of(), new ArrayList<>());
        List<Integer> planned = new ArrayList<>();
        EvaluationReport resumed = run(BUDGET, Map.of(1, whole.results().get(1)), planned);

        assertEquals(List.of(0, 2), planned, "episode 1 was finished and must not be planned again");
        assertEquals(3, resumed.episodes());
        assertSame(whole.results().get(1), resumed.results().get(1));
        for (int i = 0; i < 3; i++) {
            assertEquals(whole.results().get(i).finalStateDistance(), resumed.results().get(i).finalStateDistance(),
                    0.0, "episode " + i);
        }
        assertEquals(whole.successes(), resumed.successes());
        // throughput is that of the two episodes this run planned, not of three in this run's time
        assertEquals(2 * 60_000.0 / resumed.wallTimeMs(), resumed.episodesPerMinute(), 1e-9);
    }

    @Test
    void finishedEpisodesOfAnotherEvaluationAreRefused() {
        EpisodeResult first = run(BUDGET, Map.of(), new ArrayList<>()).results().get(0);

        IllegalArgumentException otherBudget = assertThrows(IllegalArgumentException.class,
                () -> run(BUDGET.withMaxIter(3), Map.of(0, first), new ArrayList<>()));
        assertTrue(otherBudget.getMessage().contains("finished episode 0 ran"), otherBudget.getMessage());

        IllegalArgumentException otherSlot = assertThrows(IllegalArgumentException.class,
                () -> run(BUDGET, Map.of(2, first), new ArrayList<>()));
        assertTrue(otherSlot.getMessage().contains("is not this evaluation's episode 2"), otherSlot.getMessage());

        IllegalArgumentException beyond = assertThrows(IllegalArgumentException.class,
                () -> run(BUDGET, Map.of(7, first), new ArrayList<>()));
        assertTrue(beyond.getMessage().contains("not one of this evaluation's 3 episodes"), beyond.getMessage());
    }
}
