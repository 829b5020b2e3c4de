package dev.qwm.onnx.kernel;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.qwm.onnx.build.OnnxGraphBuilder;
import dev.qwm.onnx.graph.SplitProducts;
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

/** The attention's fused q, k, v projection as one MatMul per part, chosen only where that is exact. */
class SplitProductChoiceTest {

    static final int K = 84;
    static final int PART = 64;

    /** x [B, S, K] · W [K, 3·PART] split in three, the parts summed (so that each is read). */
    static ModelProto model() {
        SplittableRandom r = new SplittableRandom(5);
        float[] w = new float[K * 3 * PART];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * 0.2);
        }
        OnnxGraphBuilder g = new OnnxGraphBuilder("qkv");
        String x = g.input("x", DataType.FLOAT, "B", "S", K);
        String[] qkv = g.split(g.matMul(x, g.floatTensor("qkv", w, K, 3 * PART)), -1, 3);
        String y = g.add(g.mul(qkv[0], qkv[1]), qkv[2]);
        g.named("y").identity(y);
        g.output("y", DataType.FLOAT, "B", "S", PART);
        return g.build();
    }

    @Test
    void aProductReadOnlyByAnEqualSplitBecomesOneMatMulPerPart() throws Exception {
        ModelProto m = model();
        List<SplitProducts.Site> sites = SplitProducts.find(m);
        assertEquals(1, sites.size(), sites.toString());
        assertEquals(new SplitProducts.Site(sites.get(0).split(), sites.get(0).matMul(), "qkv", K, 3 * PART, 3), sites.get(0));
        ModelProto split = SplitProducts.split(m, List.of(sites.get(0).split()));
        List<String> ops = split.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
        assertEquals(3, ops.stream().filter("MatMul"::equals).count(), ops.toString());
        assertTrue(!ops.contains("Split"), ops.toString());
        try (OnnxSession a = OrtRuntime.open(m.toByteArray(), "stored", SessionConfig.singleThreaded());
             OnnxSession b = OrtRuntime.open(split.toByteArray(), "split", SessionConfig.singleThreaded())) {
            float[] x = input(6, 16, 1);
            float[] ya = run(a, x, 6, 16);
            float[] yb = run(b, x, 6, 16);
            for (int i = 0; i < ya.length; i++) {
                assertEquals(ya[i], yb[i], 1e-5 * (1 + Math.abs(ya[i])), "at " + i); // the same dot products
            }
        }
    }

    /** Whatever the timing picks on this CPU, the session computes the stored graph's numbers bit for bit. */
    @Test
    void aSessionOpenedWithItsChoicesGivesTheStoredProductBitForBit(@TempDir Path dir) throws Exception {
        ModelProto m = model();
        Path file = dir.resolve("model.onnx");
        Files.write(file, m.toByteArray());
        KernelChoice.Choices c = KernelChoice.choose(m, KernelChoice.graphSha256(m.toByteArray()), 1,
                CpuFeatures.current(), dir.resolve("cache"));
        KernelChoice.Layer layer = c.layers().stream().filter(l -> l.stored().equals(KernelChoice.MATMUL_SPLIT))
                .findFirst().orElseThrow(() -> new AssertionError("no choice for the split product: " + c.layers()));
        assertTrue(layer.identical() || layer.chosen().equals(KernelChoice.MATMUL_SPLIT), layer.toString());
        try (OnnxSession stored = OrtRuntime.open(file, SessionConfig.singleThreaded());
             OnnxSession chosen = KernelChoice.open(file, SessionConfig.singleThreaded(), CpuFeatures.current(),
                     dir.resolve("cache"))) {
            for (int batch : new int[]{300, 1, 17}) {
                float[] x = input(batch, 16, batch);
                assertArrayEquals(run(stored, x, batch, 16), run(chosen, x, batch, 16), "batch " + batch);
            }
        }
    }

    /**
     * A weight-only projection the choice runs as a float MatMul is looked at again as a split product; whatever is
     * chosen, the session gives the stored MatMulNBits graph's numbers bit for bit.
     */
    @Test
    void aWeightOnlyProjectionExpandedAtLoadIsASplitProductTooAndStaysExact(@TempDir Path dir) throws Exception {
        ModelProto m = NBitsModels.splitProjection(K, PART, 4, 32, 9);
        Path file = dir.resolve("model.onnx");
        Files.write(file, m.toByteArray());
        KernelChoice.Choices c = KernelChoice.choose(m, KernelChoice.graphSha256(m.toByteArray()), 1,
                CpuFeatures.current(), dir.resolve("cache"));
        boolean expanded = c.expanded().contains("qkv");
        assertEquals(expanded, c.layers().stream().anyMatch(l -> l.stored().equals(KernelChoice.MATMUL_SPLIT)), c.layers().toString());
        try (OnnxSession stored = OrtRuntime.open(file, SessionConfig.singleThreaded());
             OnnxSession chosen = KernelChoice.open(file, SessionConfig.singleThreaded(), CpuFeatures.current(),
                     dir.resolve("cache"))) {
            for (int rows : new int[]{KernelChoice.PLANNING_ROWS, 16, 17}) {
                float[] x = NBitsModels.input(rows, K, rows);
                assertArrayEquals(NBitsModels.run(stored, x, rows, K), NBitsModels.run(chosen, x, rows, K), "rows " + rows);
            }
        }
    }

    private static float[] input(int batch, int seq, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[batch * seq * K];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private static float[] run(OnnxSession s, float[] x, int batch, int seq) throws Exception {
        try (OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(), FloatBuffer.wrap(x), new long[]{batch, seq, K});
             OrtSession.Result r = s.run(Map.of("x", t))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] y = new float[fb.remaining()];
            fb.get(y);
            return y;
        }
    }
}
