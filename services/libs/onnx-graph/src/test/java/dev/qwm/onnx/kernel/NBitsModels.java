package dev.qwm.onnx.kernel;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.qwm.onnx.graph.Nodes;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.graph.TensorData;
import dev.qwm.onnx.graph.ValueInfos;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.runtime.OrtRuntime;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Graphs of weight-only MatMulNBits layers with random codes, packed as ORT documents them. */
final class NBitsModels {

    private NBitsModels() {
    }

    /**
     * x [M, K] → MatMulNBits(K, N, bits, block) → Relu → MatMulNBits(N, N, bits, block) → y, accuracy_level
     * {@code accuracyLevel}; codes and scales drawn from {@code seed}.
     */
    static ModelProto twoLayers(int k, int n, int bits, int block, int accuracyLevel, long seed) {
        Random r = new Random(seed);
        GraphProto.Builder g = GraphProto.newBuilder().setName("nbits")
                .addInput(ValueInfos.tensor("x", TensorProto.DataType.FLOAT_VALUE, "M", k))
                .addOutput(ValueInfos.tensor("y", TensorProto.DataType.FLOAT_VALUE, "M", n));
        layer(g, "fc1", "x", "h", k, n, bits, block, accuracyLevel, r);
        g.addNode(Nodes.node("Relu", "relu", List.of("h"), List.of("h_relu")));
        layer(g, "fc2", "h_relu", "y", n, n, bits, block, accuracyLevel, r);
        return ModelProto.newBuilder().setIrVersion(8).setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(OnnxModels.DEFAULT_DOMAIN).setVersion(17))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(OnnxModels.MICROSOFT_DOMAIN).setVersion(1))
                .build();
    }

    /** x [M, K] → MatMulNBits(K, 3·n) → Split in three → q·k + v → y [M, n]: a weight-only q, k, v projection. */
    static ModelProto splitProjection(int k, int n, int bits, int block, long seed) {
        Random r = new Random(seed);
        GraphProto.Builder g = GraphProto.newBuilder().setName("qkv")
                .addInput(ValueInfos.tensor("x", TensorProto.DataType.FLOAT_VALUE, "M", k))
                .addOutput(ValueInfos.tensor("y", TensorProto.DataType.FLOAT_VALUE, "M", n));
        layer(g, "qkv", "x", "qkv_out", k, 3 * n, bits, block, 0, r);
        g.addNode(Nodes.node("Split", "split", List.of("qkv_out"), List.of("q", "k", "v"), Nodes.intAttr("axis", -1),
                Nodes.intAttr("num_outputs", 3)));
        g.addNode(Nodes.node("Mul", "qk", List.of("q", "k"), List.of("qk_out")));
        g.addNode(Nodes.node("Add", "plus_v", List.of("qk_out", "v"), List.of("y")));
        return ModelProto.newBuilder().setIrVersion(8).setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(OnnxModels.DEFAULT_DOMAIN).setVersion(18))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(OnnxModels.MICROSOFT_DOMAIN).setVersion(1))
                .build();
    }

    private static void layer(GraphProto.Builder g, String name, String in, String out, int k, int n, int bits,
                              int block, int accuracyLevel, Random r) {
        int blocks = (k + block - 1) / block;
        int blob = block * bits / 8;
        byte[] packed = new byte[n * blocks * blob];
        r.nextBytes(packed);
        float[] scales = new float[n * blocks];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = (float) (0.01 + 0.05 * r.nextDouble());
        }
        g.addInitializer(TensorData.uint8s(name + "/B", packed, n, blocks, blob));
        g.addInitializer(TensorData.floats(name + "/scales", scales, scales.length));
        g.addNode(Nodes.node(OnnxModels.MICROSOFT_DOMAIN, "MatMulNBits", name, List.of(in, name + "/B", name + "/scales"),
                List.of(out), Nodes.intAttr("K", k), Nodes.intAttr("N", n), Nodes.intAttr("bits", bits),
                Nodes.intAttr("block_size", block), Nodes.intAttr("accuracy_level", accuracyLevel)));
    }

    /**
     * The QDQ form of an 8-bit × 8-bit layer (static uint8 activations, per-channel int8 weights with zero point 0):
     * x [M, K] → QuantizeLinear → DequantizeLinear → MatMul ← DequantizeLinear(w) → y. Pairs of neighbouring weights
     * at +127 make u8×s8 pair sums overflow 16 bits where the kernel saturates them.
     */
    static ModelProto qdqLinear(int k, int n, long seed) {
        Random r = new Random(seed);
        byte[] w = new byte[k * n];
        for (int i = 0; i < w.length; i++) {
            w[i] = (byte) (r.nextInt(255) - 127);
        }
        for (int o = 0; o < n; o++) {
            int kk = (2 * o) % (k - 1) & ~1;
            w[kk * n + o] = 127;
            w[(kk + 1) * n + o] = 127;
        }
        float[] ws = new float[n];
        for (int o = 0; o < n; o++) {
            ws[o] = (float) (0.001 + 0.002 * r.nextDouble());
        }
        GraphProto.Builder g = GraphProto.newBuilder().setName("qdq")
                .addInput(ValueInfos.tensor("x", TensorProto.DataType.FLOAT_VALUE, "M", k))
                .addOutput(ValueInfos.tensor("y", TensorProto.DataType.FLOAT_VALUE, "M", n))
                .addInitializer(TensorData.floats("x_scale", new float[]{1f / 64}))
                .addInitializer(TensorData.uint8s("x_zero_point", new byte[]{0}))
                .addInitializer(TensorData.int8s("w", w, k, n))
                .addInitializer(TensorData.floats("w_scale", ws, n))
                .addInitializer(TensorData.int8s("w_zero_point", new byte[n], n))
                .addNode(Nodes.node("QuantizeLinear", "quantize_x", List.of("x", "x_scale", "x_zero_point"), List.of("xq")))
                .addNode(Nodes.node("DequantizeLinear", "dequantize_x", List.of("xq", "x_scale", "x_zero_point"), List.of("xdq")))
                .addNode(Nodes.node("DequantizeLinear", "dequantize_w", List.of("w", "w_scale", "w_zero_point"), List.of("wdq"),
                        Nodes.intAttr("axis", 1)))
                .addNode(Nodes.node("MatMul", "matmul", List.of("xdq", "wdq"), List.of("y")));
        return ModelProto.newBuilder().setIrVersion(8).setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(OnnxModels.DEFAULT_DOMAIN).setVersion(17))
                .build();
    }

    /** Activations in [3, 4): uint8 codes 192..255 at scale 1/64, the top of the range. */
    static float[] highInput(int rows, int k, long seed) {
        Random r = new Random(seed);
        float[] x = new float[rows * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = 3f + r.nextFloat() * 0.98f;
        }
        return x;
    }

    static float[] input(int rows, int k, long seed) {
        Random r = new Random(seed);
        float[] x = new float[rows * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian());
        }
        return x;
    }

    static float[] run(OnnxSession s, float[] x, int rows, int k) throws Exception {
        try (OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(), FloatBuffer.wrap(x), new long[]{rows, k});
             OrtSession.Result res = s.run(Map.of("x", t))) {
            FloatBuffer fb = ((OnnxTensor) res.get(0)).getFloatBuffer();
            float[] y = new float[fb.remaining()];
            fb.get(y);
            return y;
        }
    }
}
