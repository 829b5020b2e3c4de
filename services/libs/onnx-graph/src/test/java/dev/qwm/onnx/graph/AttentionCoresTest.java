package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.qwm.onnx.build.OnnxGraphBuilder;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Attention's two activation products found in the graphs qwm quantizes: unmasked, additive mask, masked_fill. */
class AttentionCoresTest {

    static final Path MODELS = Path.of("../../../models");

    /** One head-split attention core: "none", "add" (qwm's exporter) or "where" (DINO-WM's masked_fill). */
    static ModelProto attention(String mask) {
        OnnxGraphBuilder g = new OnnxGraphBuilder("attention");
        String x = g.input("x", DataType.FLOAT, "B", 8, 32);
        String[] qkv = g.split(g.matMul(x, g.floatTensor("qkv", new float[32 * 96], 32, 96)), -1, 3);
        String q = g.transpose(g.reshape(qkv[0], 0, 0, 2, 16), 0, 2, 1, 3);
        String kT = g.transpose(g.reshape(qkv[1], 0, 0, 2, 16), 0, 2, 3, 1);
        String v = g.transpose(g.reshape(qkv[2], 0, 0, 2, 16), 0, 2, 1, 3);
        String scores = g.mul(g.matMul(q, kT), g.scalar("scale", 0.25f));
        if (mask.equals("add")) {
            scores = g.add(scores, g.floatTensor("mask", new float[64], 8, 8));
        } else if (mask.equals("where")) {
            String keep = g.cast(g.floatTensor("bias", new float[64], 8, 8), DataType.BOOL);
            scores = g.node("Where", List.of(keep, scores, g.scalar("minus_inf", Float.NEGATIVE_INFINITY)), java.util.Map.of());
        }
        String o = g.matMul(g.softmax(scores, -1), v);
        String y = g.reshape(g.transpose(o, 0, 2, 1, 3), 0, 0, 32);
        g.named("y").matMul(y, g.floatTensor("proj", new float[32 * 32], 32, 32));
        g.output("y", DataType.FLOAT, "B", 8, 32);
        return g.build();
    }

    @Test
    void findsTheTwoProductsOfUnmaskedAndMaskedAttention() {
        for (String mask : List.of("none", "add", "where")) {
            ModelProto m = GraphEditor.nameNodes(attention(mask));
            List<AttentionCores.Core> cores = AttentionCores.find(m);
            assertEquals(1, cores.size(), mask);
            AttentionCores.Core c = cores.get(0);
            assertEquals(!mask.equals("none"), c.masked(), mask);
            GraphIndex index = GraphIndex.of(m);
            assertEquals("Transpose", index.producer(c.query()).orElseThrow().getOpType());
            assertEquals("Transpose", index.producer(c.key()).orElseThrow().getOpType());
            assertEquals("Transpose", index.producer(c.value()).orElseThrow().getOpType());
            assertEquals("Softmax", index.producer(c.probabilities()).orElseThrow().getOpType());
            assertEquals(c.scoresMatMul(), index.producer(c.scores()).orElseThrow().getName());
            assertEquals(c.valueMatMul(), index.producer(c.context()).orElseThrow().getName());
            // linear layers (a constant weight) are never attention products
            assertFalse(List.of(c.scoresMatMul(), c.valueMatMul()).stream().anyMatch(n -> n.contains("proj")), c.toString());
        }
    }

    @Test
    void findsEveryCoreOfTheShippedAndDinoWmGraphs() {
        ModelProto wallPredictor = GraphEditor.nameNodes(OnnxModels.read(MODELS.resolve("wall/predictor.onnx")));
        ModelProto wallEncoder = GraphEditor.nameNodes(OnnxModels.read(MODELS.resolve("wall/visual_encoder.onnx")));
        ModelProto dinoWm = GraphEditor.nameNodes(OnnxModels.read(MODELS.resolve("dinowm-small/dinowm_predictor.onnx")));
        assertEquals(2, AttentionCores.find(wallPredictor).size());
        assertTrue(AttentionCores.find(wallPredictor).stream().noneMatch(AttentionCores.Core::masked), "one frame: no mask");
        assertEquals(2, AttentionCores.find(wallEncoder).size());
        List<AttentionCores.Core> dino = AttentionCores.find(dinoWm);
        assertEquals(dinoWm.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Softmax")).count(), dino.size());
        assertTrue(!dino.isEmpty() && dino.stream().allMatch(AttentionCores.Core::masked), "DINO-WM's masked_fill: " + dino);
    }
}
