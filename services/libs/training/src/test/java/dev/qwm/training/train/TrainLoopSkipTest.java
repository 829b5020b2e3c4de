package dev.qwm.training.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Steps with a non-finite loss or gradient are skipped and counted; a run of them stops the stage. */
class TrainLoopSkipTest {

    /** A stage that reports a non-finite loss or gradient norm at the given steps. */
    private static TrainLoop.Stage stage(Set<Long> badLoss, Set<Long> badGradient) {
        return new TrainLoop.Stage() {
            @Override
            public Map<String, Double> step(long step, float lr) {
                Map<String, Double> m = new LinkedHashMap<>();
                m.put("loss", badLoss.contains(step) ? Double.NaN : 1.0 / (1 + step));
                m.put("gnorm", badGradient.contains(step) ? Double.POSITIVE_INFINITY : 0.5);
                return m;
            }

            @Override
            public void dryStep(long step) {
            }

            @Override
            public void save(Path dir) {
            }

            @Override
            public void load(Path dir) {
            }
        };
    }

    @Test
    void isolatedBadStepsAreSkippedCountedAndKeptOutOfTheCurve(@TempDir Path dir) throws Exception {
        TrainLoop loop = new TrainLoop("t", dir, Map.of("k", 1), 1e-3f, 1000, 5, TrainLoopResumeTest.QUIET);
        TrainLoop.Outcome o = loop.run(stage(Set.of(3L, 7L), Set.of(12L)), 20, 0);

        assertEquals(20, o.steps());
        assertEquals(3, o.skippedSteps());
        for (Map<String, Double> point : o.curve()) {
            assertTrue(Double.isFinite(point.get("loss")), "curve point " + point);
            assertTrue(Double.isFinite(point.get("gnorm")), "curve point " + point);
        }
    }

    @Test
    void aRunOfBadStepsStopsTheStageNamingTheStep(@TempDir Path dir) {
        Set<Long> bad = new java.util.HashSet<>();
        for (long s = 4; s < 4 + TrainLoop.MAX_SKIPPED_IN_A_ROW; s++) {
            bad.add(s);
        }
        TrainLoop loop = new TrainLoop("t", dir, Map.of("k", 1), 1e-3f, 1000, 5, TrainLoopResumeTest.QUIET);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> loop.run(stage(bad, Set.of()), 40, 0));
        assertTrue(e.getMessage().contains("step " + (3 + TrainLoop.MAX_SKIPPED_IN_A_ROW)), e.getMessage());
        assertTrue(e.getMessage().contains("not finite"), e.getMessage());
    }
}
