package dev.qwm.planning.onnx;

import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.cem.CemStepTimer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CemStepCostTest {

    /**
     * The tiny predictor is one E×E matrix product on every token, the action encoder one A×AE product; with
     * numHist 3 the five calls of a horizon-5 step see 1, 2, 3, 3, 3 frames.
     */
    @Test
    void countsTheRolloutsMatrixProductsFromTheGraphs(@TempDir Path dir) {
        ModelBundle bundle = new TinyBundle(3, 5).write(dir);
        CemStepCost c = CemStepCost.of(bundle, 300, 5);
        long tokensPerFrame = 300L * TinyBundle.N;
        assertEquals(2 * tokensPerFrame * (1 + 2 + 3 + 3 + 3) * TinyBundle.E * TinyBundle.E, c.predictor());
        assertEquals(2L * 300 * 5 * TinyBundle.A * TinyBundle.AE, c.actionEncoder());
        assertEquals(c.predictor() + c.actionEncoder(), c.byOpType().get("MatMul"));
        assertEquals(c.flops() / 1e9, c.gflop(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> CemStepCost.of(bundle, 0, 5));
    }

    @Test
    void aTimedStepIsOneBatchedRolloutOfTheHorizon(@TempDir Path dir) {
        ModelBundle bundle = new TinyBundle(2, 5).write(dir);
        try (OnnxWorldModel model = OnnxWorldModel.open(bundle, SessionConfig.singleThreaded())) {
            CemStepTimer timer = new CemStepTimer(model, 40, 4, 1);
            assertEquals(40, timer.budget().samples());
            assertEquals(1, timer.budget().optSteps());
            long before = model.predictorCalls();
            CemStepTimer.Step step = timer.step();
            assertEquals(4, model.predictorCalls() - before, "one step = one rollout of 4 batched predictor calls");
            assertTrue(step.wallMs() > 0 && step.cpuMs() >= 0, step.toString());
            CemStepTimer.Timing t = CemStepTimer.measure(model, 40, 4, 3);
            assertTrue(t.minMs() > 0 && t.minMs() <= t.medianMs(), t.toString());
            assertEquals(3, t.runs());
        }
    }
}
