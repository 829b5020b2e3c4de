package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.qwm.onnx.build.OnnxGraphBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GraphToolsTest {

    /** LN → MatMul(+bias) → Gelu → Gemm(transB); plus an activation×activation MatMul that is no linear layer. */
    static ModelProto model() {
        OnnxGraphBuilder g = new OnnxGraphBuilder("m");
        String x = g.input("X", DataType.FLOAT, "B", 4);
        String ln = g.layerNorm(x, g.floatTensor("gamma", new float[]{1, 2, 3, 4}, 4), g.floatTensor("beta", new float[4], 4), 1e-5f);
        float[] w1 = new float[4 * 3];
        for (int i = 0; i < w1.length; i++) {
            w1[i] = i;
        }
        String h = g.add(g.matMul(ln, g.floatTensor("w1", w1, 4, 3)), g.floatTensor("b1", new float[]{1, 2, 3}, 3));
        String a = g.gelu(h);
        String y = g.gemm(a, g.floatTensor("w2", new float[]{1, 2, 3, 4, 5, 6}, 2, 3), g.floatTensor("b2", new float[2], 2), true);
        String gram = g.named("G").matMul(g.transpose(y, 1, 0), y);
        g.output(gram, DataType.FLOAT, 2, 2);
        return g.build();
    }

    @Test
    void findsLinearLayersWithTheirWeightsAndBiases() {
        ModelProto m = model();
        List<LinearLayer> layers = LinearLayer.findAll(m);
        assertEquals(2, layers.size(), layers.toString());
        LinearLayer fc1 = layers.get(0);
        assertEquals("MatMul", fc1.opType());
        assertEquals(4, fc1.inFeatures());
        assertEquals(3, fc1.outFeatures());
        assertEquals("b1", fc1.biasName());
        assertTrue(fc1.biasAddNode() != null);
        // stored [in, out] = [[0,1,2],[3,4,5],...]: row n of out×in holds column n
        assertArrayEquals(new float[]{0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11}, fc1.readWeightsOutIn(GraphIndex.of(m)));
        LinearLayer fc2 = layers.get(1);
        assertEquals("Gemm", fc2.opType());
        assertTrue(fc2.weightOutIn());
        assertEquals(3, fc2.inFeatures());
        assertEquals(2, fc2.outFeatures());
        assertEquals("b2", fc2.biasName());
        assertNull(fc2.biasAddNode());
        // the layer's stored layout survives a round trip
        float[] outIn = fc1.readWeightsOutIn(GraphIndex.of(m));
        assertArrayEquals(TensorData.toFloats(GraphIndex.of(m).requireInitializer("w1")),
                TensorData.toFloats(fc1.weightsTensor("w1", outIn)));

        LayerNormNode ln = LayerNormNode.producing(GraphIndex.of(m), fc1.inputName()).orElseThrow();
        assertEquals("gamma", ln.scaleName());
        assertEquals("beta", ln.biasName());
        assertEquals(4, ln.channels());
        assertTrue(LayerNormNode.producing(GraphIndex.of(m), fc2.inputName()).isEmpty());
    }

    @Test
    void editorReplacesNodesPrunesInitializersAndAddsOutputs() {
        ModelProto m = model();
        LinearLayer fc1 = LinearLayer.findAll(m).get(0);
        GraphEditor e = GraphEditor.of(m);
        String w = e.freshName("w1");
        assertFalse(w.equals("w1"));
        e.putInitializer(TensorData.floats(w, new float[12], 4, 3));
        e.replaceNode(fc1.name(), List.of(Nodes.node("MatMul", e.freshName("replacement"), List.of(fc1.inputName(), w),
                List.of(fc1.outputName()))));
        e.addOutput(fc1.inputName());
        e.pruneUnusedInitializers();
        ModelProto edited = e.build();
        GraphIndex idx = GraphIndex.of(edited);
        assertTrue(idx.initializer("w1").isEmpty(), "the replaced weight is pruned");
        assertTrue(idx.initializer(w).isPresent());
        assertTrue(idx.isGraphOutput(fc1.inputName()));
        assertThrows(GraphException.class, () -> e.indexOfNode("no such node"));
    }

    @Test
    void namesEveryNodeUniquely() {
        ModelProto m = model();
        var g = m.getGraph().toBuilder();
        g.setNode(0, g.getNode(0).toBuilder().clearName());
        g.setNode(1, g.getNode(1).toBuilder().setName(g.getNode(2).getName()));
        ModelProto named = GraphEditor.nameNodes(m.toBuilder().setGraph(g).build());
        java.util.Set<String> names = new java.util.HashSet<>();
        named.getGraph().getNodeList().forEach(n -> assertTrue(names.add(n.getName()), "duplicate " + n.getName()));
        assertEquals("LayerNormalization_0", named.getGraph().getNode(0).getName());
    }

    /** Two LayerNorms sharing γ and β as torch.onnx.export writes equal parameters: the second reads them through Identity. */
    @Test
    void untiesInitializersReadThroughIdentity() {
        OnnxGraphBuilder g = new OnnxGraphBuilder("tied");
        String x = g.input("X", DataType.FLOAT, "B", 4);
        String gamma = g.floatTensor("gamma", new float[]{1, 1, 1, 1}, 4);
        String beta = g.floatTensor("beta", new float[4], 4);
        String beta2 = g.floatTensor("beta2", new float[]{1, 2, 3, 4}, 4);
        String ln1 = g.layerNorm(x, gamma, beta, 1e-5f);
        String ln2 = g.layerNorm(g.add(ln1, x), g.identity(gamma), g.identity(beta2), 1e-5f);
        g.output(ln2, DataType.FLOAT, "B", 4);
        ModelProto tied = g.build();
        assertTrue(LayerNormNode.producing(GraphIndex.of(tied), ln2).isEmpty(), "γ through an Identity is no constant");

        ModelProto untied = GraphEditor.untieIdentityInitializers(tied);
        GraphIndex idx = GraphIndex.of(untied);
        assertTrue(untied.getGraph().getNodeList().stream().noneMatch(n -> n.getOpType().equals("Identity")));
        LayerNormNode second = LayerNormNode.producing(idx, ln2).orElseThrow();
        assertArrayEquals(new float[]{1, 1, 1, 1}, TensorData.toFloats(idx.requireInitializer(second.scaleName())));
        assertArrayEquals(new float[]{1, 2, 3, 4}, TensorData.toFloats(idx.requireInitializer(second.biasName())));
        assertTrue(idx.initializer("gamma").isPresent(), "the first LayerNorm still reads the original");
        assertTrue(idx.initializer("beta2").isEmpty(), "an initializer only Identities read is dropped");
        assertEquals(1, idx.consumers(second.scaleName()).size(), "the copy is private to its LayerNorm");
        assertTrue(GraphEditor.untieIdentityInitializers(untied) == untied, "nothing left to untie");
    }

    @Test
    void packsInt4TwoPerByteLowNibbleFirst() {
        var t = TensorData.int4s("q", new byte[]{1, -1, 7, -8, 3}, 5);
        assertEquals(DataType.INT4.getNumber(), t.getDataType());
        assertArrayEquals(new byte[]{(byte) 0xF1, (byte) 0x87, 0x03}, TensorData.rawBytes(t));
        assertThrows(GraphException.class, () -> TensorData.int4s("q", new byte[]{8}, 1));
        assertThrows(GraphException.class, () -> TensorData.floats("f", new float[3], 2, 2));
    }

    @Test
    void optimizedGraphShowsWhatOrtRuns() {
        Map<String, Integer> ops = OptimizedGraphs.runtimeOpTypeCounts(model());
        assertTrue(ops.containsKey("LayerNormalization"), ops.toString());
    }
}
