package dev.qwm.cli.study;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.qwm.planning.PlannerBudget;
import org.junit.jupiter.api.Test;

class StudyCostTest {

    @Test
    void aCellCostsEpisodesTimesIterationsTimesCemStepsBetweenFullPrecisionsPaceAndAllFailing() {
        PlannerBudget wall = PlannerBudget.dinoWm("wall").withMaxIter(10);
        StudyCost.Seconds s = StudyCost.planning("wall", wall, 50, StudyCost.Rates.MEASURED);
        // all fail: 50 episodes x 10 iterations x 10 CEM steps x 0.19 s
        assertEquals(950, s.allFail(), 1e-9);
        // full precision's pace on Wall: 0.9 x 1.22 + 0.1 x 10 = 2.098 iterations per episode (measured: 2.1)
        assertEquals(50 * 2.098 * 1.9, s.fpPace(), 1e-9);
        assertEquals((s.fpPace() + s.allFail()) / 2, s.estimate(), 1e-9);
        // PushT at max_iter 5: 0.82 x 1.05 + 0.18 x 5 = 1.761 (measured: 1.76 per episode), 30 steps x 0.45 s
        assertEquals(1.761, StudyCost.fpIterations("pusht", 5), 1e-9);
        assertEquals(13.5, StudyCost.iterationSeconds("pusht", PlannerBudget.dinoWm("pusht"), StudyCost.Rates.MEASURED), 1e-9);
        // fewer samples cost proportionally less
        assertEquals(0.19 * 10 / 3, StudyCost.iterationSeconds("wall", wall.withSamples(100), StudyCost.Rates.MEASURED), 1e-9);
    }

    @Test
    void theRatesAreForTheShippedModelsAndScaleByFlopForABundleFarFromTheirSize() {
        java.nio.file.Path models = java.nio.file.Path.of("../../models").toAbsolutePath().normalize();
        for (String env : java.util.List.of("wall", "pusht")) {
            double gflop = dev.qwm.planning.onnx.CemStepCost.of(dev.qwm.onnx.bundle.ModelBundle.read(models.resolve(env)),
                    300, 5).gflop();
            assertEquals(StudyCost.Rates.shippedGflop(env), gflop, 0.01 * gflop,
                    env + ": the shipped model changed; measure its CEM step again and update the rates");
            assertEquals(StudyCost.Rates.MEASURED, StudyCost.Rates.MEASURED.forBundle(env, gflop));
        }
        StudyCost.Rates r = StudyCost.Rates.MEASURED;
        assertEquals(r, r.forBundle("wall", 1.9 * StudyCost.Rates.WALL_SHIPPED_GFLOP), "within 2x: as measured");
        StudyCost.Rates big = r.forBundle("wall", 100 * StudyCost.Rates.WALL_SHIPPED_GFLOP);
        assertEquals(100 * r.wallCemStepMs(), big.wallCemStepMs(), 1e-9);
        assertEquals(r.pushtCemStepMs(), big.pushtCemStepMs(), 1e-9);
    }
}
