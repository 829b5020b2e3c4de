package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import ai.onnxruntime.TensorInfo;
import dev.qwm.onnx.runtime.ExecutionProvider;
import dev.qwm.onnx.runtime.OnnxRuntimeException;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.SessionConfig;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * FLOP of the matrix products of an ONNX graph at given input shapes, counted node by node from the graph (2 FLOP
 * per multiply-accumulate; LayerNorm, softmax and element-wise ops are not counted, as in the training cost model).
 * Every tensor's shape is taken from one ORT run on zero inputs of those shapes with every node output exposed, so
 * reshapes, attention heads and dynamic dimensions need no shape inference of ours. Quantized forms count as the
 * product they compute: a DequantizeLinear→MatMul, MatMulInteger, MatMulIntegerToFloat, QLinearMatMul or
 * MatMulNBits costs what the float MatMul costs, so a quantized graph counts the same FLOP as its float source.
 */
public final class GraphFlops {

    /** Matrix-product op types counted as 2·|Y|·K (K the reduced width). */
    private static final Set<String> MATMUL_LIKE = Set.of("MatMul", "MatMulInteger", "MatMulIntegerToFloat",
            "QLinearMatMul", "DynamicQuantizeMatMul", "FusedMatMul", "MatMulNBits", "Gemm", "QGemm", "Conv");

    /**
     * @param flops    total FLOP of the matrix products
     * @param byOpType FLOP per op type (contrib ops as "com.microsoft:MatMulNBits")
     */
    public record Count(long flops, Map<String, Long> byOpType) {

        public Count {
            byOpType = Map.copyOf(byOpType);
        }

        public double gflop() {
            return flops / 1e9;
        }
    }

    private GraphFlops() {
    }

    /** FLOP of {@code model} run on inputs of {@code inputShapes} (every graph input, all dimensions concrete). */
    public static Count count(ModelProto model, Map<String, long[]> inputShapes) {
        return fromShapes(model, shapes(model, inputShapes));
    }

    /** FLOP of {@code model} given the shape of every tensor a matrix product reads or writes. */
    public static Count fromShapes(ModelProto model, Map<String, long[]> shapes) {
        Map<String, Long> byOp = new TreeMap<>();
        long total = 0;
        for (NodeProto n : model.getGraph().getNodeList()) {
            if (!MATMUL_LIKE.contains(n.getOpType())) {
                continue;
            }
            long f = nodeFlops(n, shapes);
            String key = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx") ? n.getOpType()
                    : n.getDomain() + ":" + n.getOpType();
            byOp.merge(key, f, Long::sum);
            total = Math.addExact(total, f);
        }
        return new Count(total, byOp);
    }

    /**
     * The shape of every graph input, initializer and node output when ORT runs {@code model} once on zeros of
     * {@code inputShapes}.
     */
    public static Map<String, long[]> shapes(ModelProto model, Map<String, long[]> inputShapes) {
        GraphIndex index = GraphIndex.of(model);
        Map<String, long[]> shapes = new HashMap<>();
        index.initializers().forEach((name, t) -> shapes.put(name, TensorData.dims(t)));
        Set<String> exposed = new LinkedHashSet<>();
        for (NodeProto n : model.getGraph().getNodeList()) {
            for (String out : n.getOutputList()) {
                if (!out.isEmpty()) {
                    exposed.add(out);
                }
            }
        }
        var graph = model.getGraph().toBuilder();
        Set<String> already = index.graphOutputs();
        for (String name : exposed) {
            if (!already.contains(name)) {
                // a name without a type: ORT types it from the producing node
                graph.addOutput(ValueInfoProto.newBuilder().setName(name));
            }
        }
        ModelProto augmented = model.toBuilder().setGraph(graph).build();
        SessionConfig plain = new SessionConfig(1, 1, false, OptLevel.NO_OPT, ExecutionProvider.CPU, null);
        List<OnnxTensor> inputs = new ArrayList<>();
        try (OnnxSession s = OrtRuntime.open(augmented.toByteArray(), "shape run of " + model.getGraph().getName(), plain)) {
            Map<String, OnnxTensor> feed = new HashMap<>();
            for (ValueInfoProto in : model.getGraph().getInputList()) {
                if (shapes.containsKey(in.getName())) {
                    continue; // an initializer listed as input (IR < 4 style) keeps its value
                }
                long[] shape = inputShapes.get(in.getName());
                if (shape == null) {
                    throw new GraphException("no shape given for graph input '" + in.getName() + "' (given: "
                            + inputShapes.keySet() + ")");
                }
                OnnxTensor t = zeros(in.getType().getTensorType().getElemType(), shape, in.getName());
                inputs.add(t);
                feed.put(in.getName(), t);
                shapes.put(in.getName(), shape.clone());
            }
            try (OrtSession.Result r = s.run(feed)) {
                for (Map.Entry<String, OnnxValue> e : r) {
                    if (e.getValue().getInfo() instanceof TensorInfo info) {
                        shapes.put(e.getKey(), info.getShape());
                    }
                }
            }
        } catch (OrtException e) {
            throw new OnnxRuntimeException("shape run of " + model.getGraph().getName() + " failed: " + e.getMessage(), e);
        } finally {
            inputs.forEach(OnnxTensor::close);
        }
        return shapes;
    }

    /**
     * Bytes of the weights the matrix products read: the initializers behind their weight operands (float weights,
     * or integer codes with their scales and zero points), followed back through DequantizeLinear, Reshape,
     * Transpose, Cast and Identity; each counted once. Biases and products of two activations count nothing, so a
     * quantized graph compares with its float source weight for weight.
     */
    public static long productWeightBytes(ModelProto model) {
        GraphIndex index = GraphIndex.of(model);
        Set<String> counted = new LinkedHashSet<>();
        for (NodeProto n : model.getGraph().getNodeList()) {
            for (int i : weightOperands(n.getOpType())) {
                if (i < n.getInputCount() && !n.getInput(i).isEmpty()) {
                    collectInitializers(index, n.getInput(i), counted);
                }
            }
        }
        long bytes = 0;
        for (String name : counted) {
            bytes += TensorData.payloadBytes(index.requireInitializer(name));
        }
        return bytes;
    }

    /** Input positions of an op's weight operand and its quantization parameters. */
    private static int[] weightOperands(String opType) {
        return switch (opType) {
            case "MatMul", "FusedMatMul", "Gemm" -> new int[] {1};
            case "MatMulInteger" -> new int[] {1, 3};
            case "MatMulNBits", "DynamicQuantizeMatMul" -> new int[] {1, 2, 3};
            case "MatMulIntegerToFloat" -> new int[] {1, 3, 5};
            case "QLinearMatMul", "QGemm" -> new int[] {3, 4, 5};
            case "Conv" -> new int[] {1};
            default -> new int[0];
        };
    }

    private static void collectInitializers(GraphIndex index, String tensor, Set<String> out) {
        if (index.initializer(tensor).isPresent()) {
            out.add(tensor);
            return;
        }
        index.producer(tensor).ifPresent(p -> {
            switch (p.getOpType()) {
                case "DequantizeLinear" -> p.getInputList().stream().filter(in -> !in.isEmpty())
                        .forEach(in -> collectInitializers(index, in, out));
                case "Reshape", "Transpose", "Cast", "Identity" -> collectInitializers(index, p.getInput(0), out);
                default -> {
                    // computed from activations: no stored weight
                }
            }
        });
    }

    private static long nodeFlops(NodeProto n, Map<String, long[]> shapes) {
        long[] y = shape(shapes, n.getOutput(0), n);
        long outputs = elements(y);
        long k;
        switch (n.getOpType()) {
            case "MatMulNBits" -> k = Nodes.intAttribute(n, "K", -1);
            case "Gemm" -> {
                long[] a = shape(shapes, n.getInput(0), n);
                k = Nodes.intAttribute(n, "transA", 0) != 0 ? a[0] : a[a.length - 1];
            }
            case "QGemm" -> {
                long[] a = shape(shapes, n.getInput(0), n);
                k = Nodes.intAttribute(n, "transA", 0) != 0 ? a[0] : a[a.length - 1];
            }
            case "Conv" -> {
                long[] w = shape(shapes, n.getInput(1), n);
                k = 1;
                for (int i = 1; i < w.length; i++) {
                    k *= w[i]; // input channels per group × kernel window
                }
            }
            case "FusedMatMul" -> {
                long[] a = shape(shapes, n.getInput(0), n);
                k = Nodes.intAttribute(n, "transA", 0) != 0 && a.length >= 2 ? a[a.length - 2] : a[a.length - 1];
            }
            default -> {
                long[] a = shape(shapes, n.getInput(0), n); // A of MatMul, MatMulInteger, QLinearMatMul, ...
                k = a[a.length - 1];
            }
        }
        if (k <= 0) {
            throw new GraphException(Nodes.describe(n) + ": reduced width unknown");
        }
        return Math.multiplyExact(2 * k, outputs);
    }

    private static long[] shape(Map<String, long[]> shapes, String name, NodeProto n) {
        long[] s = shapes.get(name);
        if (s == null) {
            throw new GraphException(Nodes.describe(n) + ": no shape known for '" + name + "'");
        }
        for (long d : s) {
            if (d < 0) {
                throw new GraphException(Nodes.describe(n) + ": '" + name + "' has a dynamic dimension after the run");
            }
        }
        return s;
    }

    private static long elements(long[] shape) {
        long e = 1;
        for (long d : shape) {
            e = Math.multiplyExact(e, d);
        }
        return e;
    }

    private static OnnxTensor zeros(int elemType, long[] shape, String name) throws OrtException {
        long count = elements(shape);
        int width = switch (elemType) {
            case TensorProto.DataType.FLOAT_VALUE, TensorProto.DataType.INT32_VALUE -> 4;
            case TensorProto.DataType.UINT8_VALUE, TensorProto.DataType.INT8_VALUE -> 1;
            case TensorProto.DataType.INT64_VALUE -> 8;
            default -> throw new GraphException("graph input '" + name + "' has element type "
                    + TensorData.typeName(elemType) + ", which the shape run cannot feed");
        };
        ByteBuffer zeros = ByteBuffer.allocateDirect(Math.toIntExact(count * width)).order(ByteOrder.nativeOrder());
        OnnxJavaType type = switch (elemType) {
            case TensorProto.DataType.FLOAT_VALUE -> OnnxJavaType.FLOAT;
            case TensorProto.DataType.INT32_VALUE -> OnnxJavaType.INT32;
            case TensorProto.DataType.UINT8_VALUE -> OnnxJavaType.UINT8;
            case TensorProto.DataType.INT8_VALUE -> OnnxJavaType.INT8;
            default -> OnnxJavaType.INT64;
        };
        return OnnxTensor.createTensor(OrtRuntime.environment(), zeros, shape, type);
    }
}
