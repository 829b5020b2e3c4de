package dev.qwm.onnx.kernel;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.qwm.onnx.build.OnnxGraphBuilder;
import dev.qwm.onnx.graph.MultiHeadAttentions;
import dev.qwm.onnx.runtime.CpuFeatures;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.SessionConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The masked attention of DINO-WM's predictor as one MultiHeadAttention node, chosen only where it is exact. */
class AttentionChoiceTest {

    static final int TOKENS = 8;
    static final int FRAMES = 3;
    static final int HEADS = 2;
    static final int HEAD_DIM = 16;
    static final int WIDTH = HEADS * HEAD_DIM;

    /** One attention core as the exporter writes it, frame-causal mask sliced to the frames present; or no mask. */
    static ModelProto attention(boolean masked) {
        SplittableRandom r = new SplittableRandom(3);
        OnnxGraphBuilder g = new OnnxGraphBuilder("attention");
        String x = g.input("x", DataType.FLOAT, "B", "S", WIDTH);
        float[] w = new float[WIDTH * 3 * WIDTH];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * 0.3);
        }
        String[] qkv = g.split(g.matMul(x, g.floatTensor("qkv", w, WIDTH, 3 * WIDTH)), -1, 3);
        String q = g.transpose(g.reshape(qkv[0], 0, 0, HEADS, HEAD_DIM), 0, 2, 1, 3);
        String kT = g.transpose(g.reshape(qkv[1], 0, 0, HEADS, HEAD_DIM), 0, 2, 3, 1);
        String v = g.transpose(g.reshape(qkv[2], 0, 0, HEADS, HEAD_DIM), 0, 2, 1, 3);
        String scores = g.mul(g.matMul(q, kT), g.scalar("scale", (float) (1.0 / Math.sqrt(HEAD_DIM))));
        if (masked) {
            int max = FRAMES * TOKENS;
            float[] table = new float[max * max];
            for (int i = 0; i < max; i++) {
                for (int j = 0; j < max; j++) {
                    table[i * max + j] = j / TOKENS <= i / TOKENS ? 0f : Float.NEGATIVE_INFINITY;
                }
            }
            String seq = g.slice(g.shape(x), g.longs("one", 1), g.longs("two", 2), g.longs("axis0", 0));
            String mask = g.slice(g.floatTensor("frame_causal_mask", table, max, max), g.longs("zeros", 0, 0),
                    g.concat(0, seq, seq), g.longs("axes", 0, 1));
            scores = g.add(scores, mask);
        }
        String o = g.matMul(g.softmax(scores, -1), v);
        String merged = g.transpose(o, 0, 2, 1, 3);
        g.named("y").reshape(merged, 0, 0, WIDTH);
        g.output("y", DataType.FLOAT, "B", "S", WIDTH);
        return g.build();
    }

    @Test
    void maskedAttentionIsOneSiteAndFusesIntoOneNodeComputingTheSameWithinRounding() throws Exception {
        ModelProto m = attention(true);
        List<MultiHeadAttentions.Site> sites = MultiHeadAttentions.find(m);
        assertEquals(1, sites.size(), sites.toString());
        MultiHeadAttentions.Site s = sites.get(0);
        assertEquals(HEADS, s.heads());
        assertEquals(HEAD_DIM, s.headDim());
        assertEquals(FRAMES * TOKENS, s.maxSeq());
        assertEquals(0.25f, s.scale());
        ModelProto fused = MultiHeadAttentions.fuse(m, List.of(s.softmax()));
        List<String> ops = fused.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
        assertEquals(1, ops.stream().filter(MultiHeadAttentions.OP::equals).count(), ops.toString());
        assertTrue(!ops.contains("Softmax") && !ops.contains("Transpose"), ops.toString());
        try (OnnxSession a = OrtRuntime.open(m.toByteArray(), "stored", SessionConfig.singleThreaded());
             OnnxSession b = OrtRuntime.open(fused.toByteArray(), "fused", SessionConfig.singleThreaded())) {
            for (int frames = 1; frames <= FRAMES; frames++) {
                float[] x = input(5, frames * TOKENS, frames);
                float[] ya = run(a, x, 5, frames * TOKENS);
                float[] yb = run(b, x, 5, frames * TOKENS);
                for (int i = 0; i < ya.length; i++) {
                    assertEquals(ya[i], yb[i], 1e-5 * (1 + Math.abs(ya[i])), "frames " + frames + " at " + i);
                }
            }
        }
        // without a mask there is no site: ORT's MultiHeadAttention would take its flash path (another summation order)
        assertTrue(MultiHeadAttentions.find(attention(false)).isEmpty());
    }

    /** Whatever the timing picks on this CPU, the session computes the stored graph's numbers bit for bit. */
    @Test
    void aSessionOpenedWithItsChoicesGivesTheStoredAttentionBitForBit(@TempDir Path dir) throws Exception {
        ModelProto m = attention(true);
        Path file = dir.resolve("model.onnx");
        Files.write(file, m.toByteArray());
        KernelChoice.Choices c = KernelChoice.choose(m, KernelChoice.graphSha256(m.toByteArray()), 1,
                CpuFeatures.current(), dir.resolve("cache"));
        KernelChoice.Layer layer = c.layers().stream().filter(l -> l.node().equals(MultiHeadAttentions.find(m).get(0).softmax()))
                .findFirst().orElseThrow(() -> new AssertionError("no choice for the attention: " + c.layers()));
        assertEquals(KernelChoice.ATTENTION_NODES, layer.stored());
        assertTrue(layer.identical() || layer.chosen().equals(KernelChoice.ATTENTION_NODES), layer.toString());
        try (OnnxSession stored = OrtRuntime.open(file, SessionConfig.singleThreaded());
             OnnxSession chosen = KernelChoice.open(file, SessionConfig.singleThreaded(), CpuFeatures.current(),
                     dir.resolve("cache"))) {
            for (int frames = 1; frames <= FRAMES; frames++) {
                float[] x = input(7, frames * TOKENS, 10 + frames);
                assertArrayEquals(run(stored, x, 7, frames * TOKENS), run(chosen, x, 7, frames * TOKENS), "frames " + frames);
            }
        }
    }

    private static float[] input(int batch, int seq, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[batch * seq * WIDTH];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private static float[] run(OnnxSession s, float[] x, int batch, int seq) throws Exception {
        try (OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(), FloatBuffer.wrap(x), new long[]{batch, seq, WIDTH});
             OrtSession.Result r = s.run(Map.of("x", t))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] y = new float[fb.remaining()];
            fb.get(y);
            return y;
        }
    }
}
