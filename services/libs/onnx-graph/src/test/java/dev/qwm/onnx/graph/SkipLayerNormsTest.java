package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.qwm.onnx.build.OnnxGraphBuilder;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.SessionConfig;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SkipLayerNormsTest {

    static final int S = 16;
    static final int E = 84;
    static final float EPS = 1e-5f;

    final SplittableRandom random = new SplittableRandom(18);
    final float[] pos = values(S * E, 1);
    final float[] weight = values(E * E, 0.2);
    final float[] gamma1 = values(E, 1);
    final float[] beta1 = values(E, 0.5);
    final float[] gamma2 = values(E, 1);
    final float[] beta2 = values(E, 0.5);

    /**
     * A pre-LN block as the exporter writes it: x + pos → LN1 → MatMul → residual Add → LN2, then LN2's output added
     * to the residual (so the sum has a second reader), an LN fed by no Add and one after a bias (1-D) Add.
     */
    ModelProto model() {
        OnnxGraphBuilder g = new OnnxGraphBuilder("block");
        String x = g.input("x", DataType.FLOAT, "B", S, E);
        String x1 = g.add(x, g.floatTensor("pos", pos, S, E));
        String ln1 = g.named("ln1").layerNorm(x1, g.floatTensor("g1", gamma1, E), g.floatTensor("b1", beta1, E), EPS);
        String h = g.named("h").matMul(ln1, g.floatTensor("w", weight, E, E));
        String x2 = g.named("x2").add(x1, h);
        // a layer with a bias before the residual, as the exporter writes attention's proj and the MLP's fc2
        String h2 = g.add(g.matMul(g.identity(x2), g.floatTensor("w2", weight, E, E)), g.floatTensor("bias2", beta1, E));
        String x3 = g.named("x3").add(x2, h2);
        String ln5 = g.named("ln5").layerNorm(x3, g.floatTensor("g5", gamma1, E), g.floatTensor("b5", beta1, E), EPS);
        String ln2 = g.named("ln2").layerNorm(x2, g.floatTensor("g2", gamma2, E), g.floatTensor("b2", beta2, E), EPS);
        String out = g.add(ln2, x2);
        String ln3 = g.named("ln3").layerNorm(g.identity(out), g.floatTensor("g3", gamma1, E), g.floatTensor("b3", beta1, E), EPS);
        String biased = g.add(ln3, g.floatTensor("bias", beta2, E));
        g.named("ln4").layerNorm(biased, g.floatTensor("g4", gamma2, E), g.floatTensor("b4", beta2, E), EPS);
        for (String o : List.of("ln1", "h", "x2", "ln2", "ln4", "x3", "ln5")) {
            g.output(o, DataType.FLOAT, "B", S, E);
        }
        return g.build();
    }

    @Test
    void fusesEveryLayerNormFedByAResidualOrPositionAddAndKeepsTheRest() {
        SkipLayerNorms.Result r = SkipLayerNorms.rewrite(model());
        List<String> lnNodes = r.model().getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("LayerNormalization")).map(NodeProto::getName).toList();
        assertEquals(3, r.fused().size(), r.fused().toString());
        assertEquals(2, lnNodes.size(), lnNodes.toString());
        assertEquals(2, r.kept().size(), r.kept().toString());
        assertTrue(r.kept().values().stream().anyMatch(w -> w.contains("not an Add")), r.kept().toString());
        assertTrue(r.kept().values().stream().anyMatch(w -> w.contains("3-D input")), r.kept().toString());
        long skip = r.model().getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals(SkipLayerNorms.OP) && n.getDomain().equals(OnnxModels.MICROSOFT_DOMAIN)).count();
        assertEquals(3, skip);
        // each fused pair (Add, LayerNormalization) became one node; the sum comes from its fourth output
        assertEquals(model().getGraph().getNodeCount() - 3, r.model().getGraph().getNodeCount());
    }

    /**
     * What the recipe's {@code layerNorm: skip} computes: the residual sum bit for bit as the Add had it, and per row
     * exactly the plain float formula, so the numbers are fixed by the recipe (not by the CPU that runs it). An ORT
     * whose SkipLayerNormalization summed in another order on some CPU class would fail here.
     */
    @Test
    void computesTheSumsExactlyAndThePlainFormulaPerRow() throws Exception {
        ModelProto stored = model();
        ModelProto fused = SkipLayerNorms.rewrite(stored).model();
        int batch = 37;
        float[] x = values(batch * S * E, 3);
        try (OnnxSession a = OrtRuntime.open(stored.toByteArray(), "stored", SessionConfig.singleThreaded());
             OnnxSession b = OrtRuntime.open(fused.toByteArray(), "fused", SessionConfig.singleThreaded());
             OnnxTensor in = OnnxTensor.createTensor(OrtRuntime.environment(), FloatBuffer.wrap(x), new long[]{batch, S, E})) {
            Map<String, float[]> ys = run(a, in);
            Map<String, float[]> yf = run(b, in);
            float[] x1 = new float[x.length];
            float[] x2 = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                x1[i] = x[i] + pos[i % (S * E)];
                x2[i] = x1[i] + yf.get("h")[i];
            }
            assertArrayEquals(x2, yf.get("x2"), "the residual sum, from the fused kernel's fourth output");
            assertEquals(ys.keySet(), yf.keySet());
            assertArrayEquals(plainLayerNorm(x1, gamma1, beta1), yf.get("ln1"), "LN1 as SkipLayerNormalization");
            assertArrayEquals(plainLayerNorm(yf.get("x2"), gamma2, beta2), yf.get("ln2"), "LN2 as SkipLayerNormalization");
            // after a bias Add, ORT's optimiser moves the bias into the kernel, which adds (input + skip) + bias: the
            // sum may differ from the graph's (x2 + (product + bias)) by rounding, the normalisation of it does not
            assertArrayEquals(plainLayerNorm(yf.get("x3"), gamma1, beta1), yf.get("ln5"), "LN5 as SkipLayerNormalization");
        }
    }

    /** Per row of E: sum and sum of squares in order, var = Σx²/n − mean² + ε, (x − mean) / √var · γ + β, in float. */
    static float[] plainLayerNorm(float[] x, float[] gamma, float[] beta) {
        int n = gamma.length;
        float[] y = new float[x.length];
        for (int row = 0; row < x.length / n; row++) {
            float sum = 0;
            float squares = 0;
            for (int h = 0; h < n; h++) {
                float v = x[row * n + h];
                sum += v;
                squares += v * v;
            }
            float mean = sum / n;
            float std = (float) Math.sqrt(squares / n - mean * mean + EPS);
            for (int h = 0; h < n; h++) {
                y[row * n + h] = (x[row * n + h] - mean) / std * gamma[h] + beta[h];
            }
        }
        return y;
    }

    private static Map<String, float[]> run(OnnxSession s, OnnxTensor in) {
        Map<String, float[]> out = new java.util.HashMap<>();
        try (OrtSession.Result r = s.run(Map.of("x", in))) {
            for (var e : r) {
                FloatBuffer fb = ((OnnxTensor) e.getValue()).getFloatBuffer();
                float[] v = new float[fb.remaining()];
                fb.get(v);
                out.put(e.getKey(), v);
            }
        }
        return out;
    }

    private float[] values(int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return v;
    }
}
