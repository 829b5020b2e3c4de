package dev.qwm.training.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BinaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The constants of {@link Scalars} survive until the backward pass, however much the JVM collects and reallocates in
 * between (DJL's own {@code mul(Number)} fails exactly this: its constant's memory is freed under the graph).
 */
class ScalarsTest {

    @Test
    void gradientsAreExactAfterTheJvmReusedFreedMemory() {
        assertGradient((x, unused) -> Scalars.mul(x, 3f), 3f);
        assertGradient((x, unused) -> Scalars.div(x, 4f), 0.25f);
    }

    private static void assertGradient(BinaryOperator<NDArray> op, float expected) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(new float[] {1f, 2f, 3f, 4f});
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = op.apply(x, null).sum();
                churn();
                gc.backward(y);
            }
            assertArrayEquals(new float[] {expected, expected, expected, expected}, x.getGradient().toFloatArray());
        }
    }

    /** Collects unreachable direct buffers, then reallocates memory of their size and fills it with NaN. */
    private static void churn() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            List<ByteBuffer> hold = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(4 << (i % 4)).order(ByteOrder.nativeOrder());
                while (b.remaining() >= 4) {
                    b.putFloat(Float.NaN);
                }
                hold.add(b);
            }
            hold.clear();
        }
    }
}
