package dev.qwm.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdamTest {

    private static Parameter parameter(NDManager manager, float... values) {
        Parameter p = Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).build();
        p.setArray(manager.create(values));
        p.getArray().setRequiresGradient(true);
        return p;
    }

    private static void backwardSqrtSum(Parameter p) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = p.getArray().sqrt().sum();
            gc.backward(loss);
        }
    }

    @Test
    void aGradientHoldingInfIsSkippedAndClearedWhileTheLossIsFinite() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // d sqrt(w)/dw = 1/(2 sqrt(w)) is inf at w = 0, while sqrt(0) = 0 keeps the loss finite: the case seen
            // in training (finite loss, infinite gradient norm), which clipping turned into NaN weights.
            Parameter p = parameter(manager, 0f, 1f, 4f);
            Adam adam = Adam.standard(List.of(p), manager, 0f);

            backwardSqrtSum(p);
            double norm = adam.step(0.1f, 1f);

            assertTrue(Double.isInfinite(norm), "the returned norm reports the bad gradient: " + norm);
            assertArrayEquals(new float[] {0f, 1f, 4f}, p.getArray().toFloatArray(), "weights untouched");
            assertArrayEquals(new float[] {0f, 0f, 0f}, p.getArray().getGradient().toFloatArray(), "gradient cleared");
            assertEquals(0, adam.steps(), "a skipped step does not advance the bias correction");

            // The next, finite gradient is applied alone (nothing of the inf accumulated into it).
            p.getArray().set(new float[] {1f, 1f, 4f});
            backwardSqrtSum(p);
            double finite = adam.step(0.1f, 0f);
            assertEquals(Math.sqrt(0.25 + 0.25 + 0.0625), finite, 1e-6);
            float[] w = p.getArray().toFloatArray();
            for (float v : w) {
                assertFalse(Float.isNaN(v) || Float.isInfinite(v));
            }
            assertEquals(1, adam.steps());
            assertEquals(0.9f, w[0], 1e-4f, "first Adam step moves each weight by lr against its gradient's sign");
        }
    }

    @Test
    void clearedGradientsOfAMatrixStayClearedAcrossManySteps() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] values = new float[64 * 84];
            for (int i = 0; i < values.length; i++) {
                values[i] = i % 7 == 0 ? 0f : 1f + i % 5;
            }
            Parameter p = parameter(manager, values);
            Adam adam = Adam.standard(List.of(p), manager, 0f);
            for (int step = 0; step < 50; step++) {
                backwardSqrtSum(p);
                assertTrue(Double.isInfinite(adam.step(0.1f, 1f)));
                float[] g = p.getArray().getGradient().toFloatArray();
                for (float v : g) {
                    assertEquals(0f, v);
                }
                System.gc(); // a gradient left pointing at a collected Java buffer would show up here
            }
            assertArrayEquals(values, p.getArray().toFloatArray());
        }
    }
}
