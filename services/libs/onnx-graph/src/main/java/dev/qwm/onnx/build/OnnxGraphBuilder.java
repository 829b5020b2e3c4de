package dev.qwm.onnx.build;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Builds an ONNX model node by node with the standard {@code ai.onnx} operators (the ONNX protobuf classes of
 * tribuo-util-onnx), so that models can be written from Java without Python.
 *
 * <p>Every op method adds one node and returns the name of its output value. Values and nodes get readable,
 * unique names from the current {@link #scope scope} (e.g. {@code predictor/block0/attn/qkv/MatMul}), because
 * the quantizer reports per layer by node name. {@link #named(String)} gives the next op's output a fixed
 * name (a graph output such as {@code latents}). Dimensions passed to {@link #input} and {@link #output} are
 * numbers (fixed) or strings (symbolic, e.g. {@code "B"}).
 *
 * <p>Not thread-safe; one builder per graph.
 */
public final class OnnxGraphBuilder {

    /** Default opset: 21 has {@code Gelu} (20+) and blocked {@code DequantizeLinear} (21+) for the quantizer. */
    public static final int DEFAULT_OPSET = 21;
    /** IR version that goes with opset 21 (ONNX 1.16). */
    public static final int DEFAULT_IR_VERSION = 10;

    private final String graphName;
    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
    private final Deque<String> scopes = new ArrayDeque<>();
    private final Set<String> usedNames = new HashSet<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private int opset = DEFAULT_OPSET;
    private int irVersion = DEFAULT_IR_VERSION;
    private String pendingOutputName;
    private String docString = "";

    public OnnxGraphBuilder(String graphName) {
        this.graphName = Objects.requireNonNull(graphName, "graphName");
        graph.setName(graphName);
    }

    /** Sets the {@code ai.onnx} opset and IR version of the model. */
    public OnnxGraphBuilder opset(int opsetVersion, int irVersionForOpset) {
        if (opsetVersion < 17) {
            throw new IllegalArgumentException("opset " + opsetVersion + " is below 17 (LayerNormalization needs 17+)");
        }
        this.opset = opsetVersion;
        this.irVersion = irVersionForOpset;
        return this;
    }

    public int opset() {
        return opset;
    }

    /** A key/value pair stored in the model's {@code metadata_props}. */
    public OnnxGraphBuilder metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public OnnxGraphBuilder docString(String text) {
        this.docString = text;
        return this;
    }

    // ---------------------------------------------------------------- naming

    /** Enters a naming scope; close it (try-with-resources) to leave. */
    public Scope scope(String name) {
        if (name == null || name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("scope name must be non-empty and without '/': " + name);
        }
        scopes.addLast(name);
        return new Scope(name);
    }

    /** The scope of a block of ops; closing it leaves the scope. */
    public final class Scope implements AutoCloseable {
        private final String name;

        private Scope(String name) {
            this.name = name;
        }

        @Override
        public void close() {
            if (scopes.isEmpty() || !scopes.peekLast().equals(name)) {
                throw new IllegalStateException("scope " + name + " closed out of order");
            }
            scopes.removeLast();
        }
    }

    /** The next op's output value gets exactly this name (for graph outputs). */
    public OnnxGraphBuilder named(String outputName) {
        this.pendingOutputName = outputName;
        return this;
    }

    private String qualified(String base) {
        StringBuilder sb = new StringBuilder();
        for (String s : scopes) {
            sb.append(s).append('/');
        }
        return sb.append(base).toString();
    }

    private String unique(String base) {
        String name = qualified(base);
        if (usedNames.add(name)) {
            return name;
        }
        for (int i = 1; ; i++) {
            String candidate = name + "_" + i;
            if (usedNames.add(candidate)) {
                return candidate;
            }
        }
    }

    private String claimExact(String name) {
        if (!usedNames.add(name)) {
            throw new IllegalArgumentException("value name already used in graph " + graphName + ": " + name);
        }
        return name;
    }

    // ---------------------------------------------------------------- inputs, outputs, initializers

    /** Declares a graph input. Dims are Integer/Long (fixed) or String (symbolic). */
    public String input(String name, OnnxMl.TensorProto.DataType type, Object... dims) {
        graph.addInput(valueInfo(claimExact(name), type, dims));
        return name;
    }

    /** Declares an existing value as a graph output with its type and shape. */
    public OnnxGraphBuilder output(String valueName, OnnxMl.TensorProto.DataType type, Object... dims) {
        if (!usedNames.contains(valueName)) {
            throw new IllegalArgumentException("no value named " + valueName + " in graph " + graphName);
        }
        graph.addOutput(valueInfo(valueName, type, dims));
        return this;
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, OnnxMl.TensorProto.DataType type, Object... dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (Object d : dims) {
            OnnxMl.TensorShapeProto.Dimension.Builder dim = OnnxMl.TensorShapeProto.Dimension.newBuilder();
            if (d instanceof Number n) {
                dim.setDimValue(n.longValue());
            } else if (d instanceof String s) {
                dim.setDimParam(s);
            } else {
                throw new IllegalArgumentException("dimension must be a number or a symbolic name, got " + d);
            }
            shape.addDim(dim);
        }
        return OnnxMl.ValueInfoProto.newBuilder()
                .setName(name)
                .setType(OnnxMl.TypeProto.newBuilder()
                        .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                                .setElemType(type.getNumber())
                                .setShape(shape)))
                .build();
    }

    /** A float32 initializer (raw little-endian data) named within the current scope. */
    public String floatTensor(String name, float[] data, long... shape) {
        checkSize(name, data.length, shape);
        ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(data);
        return addInitializer(name, OnnxMl.TensorProto.DataType.FLOAT, ByteString.copyFrom(buf.array()), shape);
    }

    /** An int64 initializer (shapes, axes, slice bounds). */
    public String longTensor(String name, long[] data, long... shape) {
        checkSize(name, data.length, shape);
        ByteBuffer buf = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        buf.asLongBuffer().put(data);
        return addInitializer(name, OnnxMl.TensorProto.DataType.INT64, ByteString.copyFrom(buf.array()), shape);
    }

    /** A rank-1 int64 constant. */
    public String longs(String name, long... values) {
        return longTensor(name, values, values.length);
    }

    /** A float32 scalar constant. */
    public String scalar(String name, float value) {
        return floatTensor(name, new float[] {value});
    }

    private String addInitializer(String name, OnnxMl.TensorProto.DataType type, ByteString raw, long... shape) {
        String full = unique(name);
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder()
                .setName(full)
                .setDataType(type.getNumber())
                .setRawData(raw);
        for (long d : shape) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return full;
    }

    private static void checkSize(String name, int length, long... shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("initializer " + name + " has a negative dimension: " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (n != length) {
            throw new IllegalArgumentException("initializer " + name + ": shape " + Arrays.toString(shape)
                    + " holds " + n + " values, data has " + length);
        }
    }

    // ---------------------------------------------------------------- generic node

    /** Adds a node with one output and the given attributes; returns the output name. */
    public String node(String opType, List<String> inputs, Map<String, Object> attributes) {
        String out = pendingOutputName != null ? claimExact(pendingOutputName) : unique(opType + "_out");
        pendingOutputName = null;
        OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder()
                .setOpType(opType)
                .setName(unique(opType))
                .addOutput(out);
        for (String in : inputs) {
            n.addInput(in);
        }
        attributes.forEach((k, v) -> n.addAttribute(attribute(k, v)));
        graph.addNode(n);
        return out;
    }

    /** Adds a node with several outputs; returns their names. */
    public String[] nodeMulti(String opType, List<String> inputs, Map<String, Object> attributes, int outputs) {
        OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder().setOpType(opType).setName(unique(opType));
        for (String in : inputs) {
            n.addInput(in);
        }
        String[] outs = new String[outputs];
        for (int i = 0; i < outputs; i++) {
            outs[i] = unique(opType + "_out" + i);
            n.addOutput(outs[i]);
        }
        attributes.forEach((k, v) -> n.addAttribute(attribute(k, v)));
        graph.addNode(n);
        return outs;
    }

    private static OnnxMl.AttributeProto attribute(String name, Object value) {
        OnnxMl.AttributeProto.Builder a = OnnxMl.AttributeProto.newBuilder().setName(name);
        if (value instanceof Float || value instanceof Double) {
            a.setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(((Number) value).floatValue());
        } else if (value instanceof Integer || value instanceof Long) {
            a.setType(OnnxMl.AttributeProto.AttributeType.INT).setI(((Number) value).longValue());
        } else if (value instanceof long[] ints) {
            a.setType(OnnxMl.AttributeProto.AttributeType.INTS);
            for (long i : ints) {
                a.addInts(i);
            }
        } else if (value instanceof String s) {
            a.setType(OnnxMl.AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(s));
        } else {
            throw new IllegalArgumentException("unsupported attribute type for " + name + ": " + value.getClass());
        }
        return a.build();
    }

    // ---------------------------------------------------------------- ops

    public String matMul(String a, String b) {
        return node("MatMul", List.of(a, b), Map.of());
    }

    public String add(String a, String b) {
        return node("Add", List.of(a, b), Map.of());
    }

    public String sub(String a, String b) {
        return node("Sub", List.of(a, b), Map.of());
    }

    public String mul(String a, String b) {
        return node("Mul", List.of(a, b), Map.of());
    }

    public String div(String a, String b) {
        return node("Div", List.of(a, b), Map.of());
    }

    /** {@code Gemm}: alpha·A·B' + beta·C, with B transposed when {@code transB} (2-D inputs only). */
    public String gemm(String a, String b, String c, boolean transB) {
        return node("Gemm", List.of(a, b, c), Map.of("transB", transB ? 1L : 0L));
    }

    public String cast(String x, OnnxMl.TensorProto.DataType to) {
        return node("Cast", List.of(x), Map.of("to", (long) to.getNumber()));
    }

    /** {@code LayerNormalization} over the last axis. */
    public String layerNorm(String x, String scale, String bias, float epsilon) {
        return node("LayerNormalization", List.of(x, scale, bias), Map.of("axis", -1L, "epsilon", epsilon));
    }

    /** Exact (erf) GELU; opset 20+. */
    public String gelu(String x) {
        if (opset < 20) {
            throw new IllegalStateException("Gelu needs opset 20+, the model uses " + opset);
        }
        return node("Gelu", List.of(x), Map.of());
    }

    public String softmax(String x, int axis) {
        return node("Softmax", List.of(x), Map.of("axis", (long) axis));
    }

    /** {@code Reshape} to a constant shape (0 copies the input dim, -1 infers one dim). */
    public String reshape(String x, long... shape) {
        return node("Reshape", List.of(x, longs("shape", shape)), Map.of());
    }

    /** {@code Reshape} to a shape held in a value (e.g. computed with {@link #shape}). */
    public String reshapeTo(String x, String shapeValue) {
        return node("Reshape", List.of(x, shapeValue), Map.of());
    }

    public String transpose(String x, long... perm) {
        return node("Transpose", List.of(x), Map.of("perm", perm));
    }

    /** {@code Shape}: the int64 shape of {@code x}. */
    public String shape(String x) {
        return node("Shape", List.of(x), Map.of());
    }

    /** {@code Slice} with bounds held in values (int64 rank-1 tensors). */
    public String slice(String x, String starts, String ends, String axes) {
        return node("Slice", List.of(x, starts, ends, axes), Map.of());
    }

    /** {@code Split} into equal parts along {@code axis} (opset 18+: num_outputs). */
    public String[] split(String x, int axis, int parts) {
        return nodeMulti("Split", List.of(x), Map.of("axis", (long) axis, "num_outputs", (long) parts), parts);
    }

    public String concat(int axis, String... xs) {
        return node("Concat", List.of(xs), Map.of("axis", (long) axis));
    }

    public String identity(String x) {
        return node("Identity", List.of(x), Map.of());
    }

    // ---------------------------------------------------------------- build

    public OnnxMl.ModelProto build() {
        OnnxMl.ModelProto.Builder model = OnnxMl.ModelProto.newBuilder()
                .setIrVersion(irVersion)
                .setProducerName("qwm")
                .setProducerVersion("0.1.0")
                .setDocString(docString)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(graph.build());
        metadata.forEach((k, v) -> model.addMetadataProps(
                OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return model.build();
    }

    public byte[] toBytes() {
        return build().toByteArray();
    }
}
