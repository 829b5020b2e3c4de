package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.qwm.onnx.runtime.OnnxRuntimeException;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.SessionConfig;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every {@code LayerNormalization} fed by an {@code Add} (a residual or the position embedding) rewritten as ONNX
 * Runtime's {@code com.microsoft:SkipLayerNormalization}, which computes the Add (its fourth output keeps the sum for
 * the residual path) and the normalisation in one kernel.
 *
 * <p><b>Not an exact rewrite.</b> The sum is the Add's, bit for bit, but ORT 1.29's two CPU kernels normalise
 * differently: SkipLayerNormalization computes per row exactly the plain float formula (sum and sum of squares added
 * in order, {@code var = Σx²/n − mean² + ε}, {@code y = (x − mean) / sqrt(var) · γ + β}, no fused multiply-add;
 * {@code SkipLayerNormsTest} checks it against a Java transcription, so its numbers do not depend on the CPU), while
 * LayerNormalization's differ from that formula in about half of the outputs by an ulp or two, and take 3-5× longer
 * on the shipped models' 64-168-wide rows (5 ns per element on the Xeon: about a third of a CEM step). So this is a
 * recipe's explicit choice ({@code layerNorm: skip}), never a load-time kernel variant.
 *
 * <p>A LayerNormalization is kept when its input is not an Add's output, when that Add already fused into another
 * one, when it has the optional Mean / InvStdDev outputs, normalises over more than the last axis, or when the
 * Add's operands are not what the kernel takes (a 3-D input and a skip of the same shape or of its last two
 * dimensions), ranks found by running the model once on zeros.
 */
public final class SkipLayerNorms {

    public static final String OP = "SkipLayerNormalization";

    /**
     * @param model the rewritten model
     * @param fused names of the LayerNormalization nodes now run as SkipLayerNormalization
     * @param kept  names of the LayerNormalization nodes left as they were, with the reason
     */
    public record Result(ModelProto model, List<String> fused, Map<String, String> kept) {
    }

    private SkipLayerNorms() {
    }

    public static Result rewrite(ModelProto model) {
        GraphProto g = model.getGraph();
        Map<String, NodeProto> producer = new HashMap<>();
        for (NodeProto n : g.getNodeList()) {
            n.getOutputList().forEach(o -> producer.put(o, n));
        }
        List<NodeProto> candidates = new ArrayList<>();
        Map<String, String> kept = new LinkedHashMap<>();
        Set<String> addsTaken = new HashSet<>();
        for (NodeProto n : g.getNodeList()) {
            if (!n.getOpType().equals("LayerNormalization") || !n.getDomain().isEmpty()) {
                continue;
            }
            NodeProto add = producer.get(n.getInput(0));
            String why = null;
            if (add == null || !add.getOpType().equals("Add") || !add.getDomain().isEmpty()) {
                why = "its input is not an Add";
            } else if (n.getOutputList().stream().skip(1).anyMatch(o -> !o.isEmpty())) {
                why = "it has Mean / InvStdDev outputs";
            } else if (Nodes.intAttribute(n, "axis", -1) != -1) {
                why = "it normalises over more than the last axis";
            } else if (!addsTaken.add(add.getName())) {
                why = "its Add already feeds another SkipLayerNormalization";
            }
            if (why != null) {
                kept.put(n.getName(), why);
            } else {
                candidates.add(n);
            }
        }
        if (candidates.isEmpty()) {
            return new Result(model, List.of(), kept);
        }
        Map<String, long[]> shapes = probeShapes(model, candidates.stream()
                .flatMap(n -> producer.get(n.getInput(0)).getInputList().stream()).distinct().toList());

        Map<String, NodeProto> replacement = new HashMap<>();
        Set<String> removed = new HashSet<>();
        List<String> fused = new ArrayList<>();
        for (NodeProto ln : candidates) {
            NodeProto add = producer.get(ln.getInput(0));
            long[] a = shapes.get(add.getInput(0));
            long[] b = shapes.get(add.getInput(1));
            String input;
            String skip;
            if (a != null && a.length == 3 && fitsAsSkip(a, b)) {
                input = add.getInput(0);
                skip = add.getInput(1);
            } else if (b != null && b.length == 3 && fitsAsSkip(b, a)) {
                input = add.getInput(1);
                skip = add.getInput(0);
            } else {
                kept.put(ln.getName(), "its Add's operands " + Arrays.toString(a) + " + " + Arrays.toString(b)
                        + " are not a 3-D input and a skip of its shape or of its last two dimensions");
                continue;
            }
            List<String> in = new ArrayList<>(List.of(input, skip, ln.getInput(1)));
            if (ln.getInputCount() > 2 && !ln.getInput(2).isEmpty()) {
                in.add(ln.getInput(2));
            }
            NodeProto skipLn = Nodes.node(OnnxModels.MICROSOFT_DOMAIN, OP, ln.getName(), in,
                    List.of(ln.getOutput(0), "", "", add.getOutput(0)),
                    Nodes.floatAttr("epsilon", Nodes.floatAttribute(ln, "epsilon", 1e-5f)));
            // placed where the Add was, so that its sum exists before any other consumer reads it
            replacement.put(add.getName(), skipLn);
            removed.add(ln.getName());
            fused.add(ln.getName());
        }
        GraphProto.Builder out = g.toBuilder().clearNode();
        for (NodeProto n : g.getNodeList()) {
            if (removed.contains(n.getName())) {
                continue;
            }
            out.addNode(replacement.getOrDefault(n.getName(), n));
        }
        ModelProto m = model.toBuilder().setGraph(out).build();
        if (!fused.isEmpty()) {
            m = OnnxModels.withOpset(m, OnnxModels.MICROSOFT_DOMAIN, 1);
        }
        return new Result(m, List.copyOf(fused), kept);
    }

    /** A skip the kernel takes for {@code input}: the same 3-D shape, or its last two dimensions. */
    private static boolean fitsAsSkip(long[] input, long[] skip) {
        if (skip == null) {
            return false;
        }
        if (skip.length == 3) {
            return Arrays.equals(input, skip);
        }
        return skip.length == 2 && skip[0] == input[1] && skip[1] == input[2];
    }

    /**
     * Shapes of {@code values} in one run on zeros: the first dimension of every input 2 (so that a batch broadcast
     * shows), any other symbolic dimension 1. Values the run cannot give (a non-float input) are left out.
     */
    static Map<String, long[]> probeShapes(ModelProto model, List<String> values) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        Set<String> outputs = new HashSet<>();
        g.getOutputList().forEach(o -> outputs.add(o.getName()));
        Set<String> inits = new HashSet<>();
        g.getInitializerList().forEach(t -> inits.add(t.getName()));
        List<String> fetched = new ArrayList<>();
        for (String v : values) {
            if (inits.contains(v)) {
                continue;
            }
            fetched.add(v);
            if (!outputs.contains(v)) {
                g.addOutput(ValueInfoProto.newBuilder().setName(v));
            }
        }
        Map<String, long[]> shapes = new HashMap<>();
        for (TensorProto t : g.getInitializerList()) {
            if (values.contains(t.getName())) {
                shapes.put(t.getName(), t.getDimsList().stream().mapToLong(Long::longValue).toArray());
            }
        }
        Map<String, OnnxTensor> feeds = new HashMap<>();
        // an OnnxSession: its run, like every run, is stopped and awaited if the JVM exits meanwhile
        try (OnnxSession s = OrtRuntime.open(model.toBuilder().setGraph(g).build().toByteArray(),
                "the LayerNormalization shape probe", SessionConfig.singleThreaded())) {
            for (ValueInfoProto in : model.getGraph().getInputList()) {
                if (inits.contains(in.getName())) {
                    continue;
                }
                List<TensorShapeProto.Dimension> dims = in.getType().getTensorType().getShape().getDimList();
                long[] shape = new long[dims.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = dims.get(i).hasDimValue() ? dims.get(i).getDimValue() : (i == 0 ? 2 : 1);
                }
                int count = (int) Arrays.stream(shape).reduce(1, (x, y) -> x * y);
                OnnxTensor zeros = switch (in.getType().getTensorType().getElemType()) {
                    case TensorProto.DataType.FLOAT_VALUE -> OnnxTensor.createTensor(OrtRuntime.environment(),
                            FloatBuffer.allocate(count), shape);
                    case TensorProto.DataType.UINT8_VALUE -> OnnxTensor.createTensor(OrtRuntime.environment(),
                            ByteBuffer.allocate(count), shape, OnnxJavaType.UINT8);
                    case TensorProto.DataType.INT64_VALUE -> OnnxTensor.createTensor(OrtRuntime.environment(),
                            LongBuffer.allocate(count), shape);
                    default -> null;
                };
                if (zeros == null) {
                    return shapes; // an input type the probe does not make: no shapes, nothing fused
                }
                feeds.put(in.getName(), zeros);
            }
            try (OrtSession.Result r = s.run(feeds, new HashSet<>(fetched))) {
                for (String v : fetched) {
                    OnnxValue value = r.get(v).orElse(null);
                    if (value instanceof OnnxTensor t) {
                        shapes.put(v, t.getInfo().getShape());
                    }
                }
            }
        } catch (OrtException | OnnxRuntimeException e) {
            throw new GraphException("cannot run the model to find the shapes of its LayerNormalization inputs: "
                    + e.getMessage(), e);
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
        return shapes;
    }
}
