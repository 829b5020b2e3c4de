package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GraphFlopsTest {

    /**
     * GraphToolsTest's graph at batch B: X[B,4] → LN → MatMul w1[4,3] (2·B·3·4) → Gelu → Gemm w2ᵀ[3,2] (2·B·2·3)
     * → yᵀy, a [2,B]×[B,2] product whose reduced width is the batch (2·2·2·B): 44·B FLOP.
     */
    @Test
    void countsMatrixProductsOfAKnownGraphFromItsRuntimeShapes() {
        ModelProto m = GraphToolsTest.model();
        GraphFlops.Count c = GraphFlops.count(m, Map.of("X", new long[] {5, 4}));
        assertEquals(44 * 5, c.flops());
        assertEquals(Map.of("MatMul", 24L * 5 + 8L * 5, "Gemm", 12L * 5), c.byOpType());
        assertEquals(44 * 7, GraphFlops.count(m, Map.of("X", new long[] {7, 4})).flops());
    }

    @Test
    void shapesComeFromOneRunWithEveryNodeOutputExposed() {
        ModelProto m = GraphToolsTest.model();
        Map<String, long[]> shapes = GraphFlops.shapes(m, Map.of("X", new long[] {3, 4}));
        assertArrayEquals(new long[] {3, 4}, shapes.get("X"));
        assertArrayEquals(new long[] {4, 3}, shapes.get("w1"));
        assertArrayEquals(new long[] {2, 2}, shapes.get(m.getGraph().getOutput(0).getName()));
        assertArrayEquals(new long[] {2, 3}, shapes.get("G")); // the builder names the transpose yᵀ, made first
        // the exposed outputs do not leak into the model
        assertEquals(1, m.getGraph().getOutputCount());
    }

    @Test
    void productWeightsAreTheMatMulAndGemmWeightsOnly() {
        // w1 4×3 and w2 2×3 floats; biases, LayerNorm parameters and the activation×activation product count nothing
        assertEquals((4 * 3 + 2 * 3) * 4, GraphFlops.productWeightBytes(GraphToolsTest.model()));
    }

    @Test
    void aMissingInputShapeIsNamed() {
        GraphException e = assertThrows(GraphException.class, () -> GraphFlops.count(GraphToolsTest.model(), Map.of()));
        assertTrue(e.getMessage().contains("'X'"), e.getMessage());
    }
}
