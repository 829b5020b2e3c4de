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
