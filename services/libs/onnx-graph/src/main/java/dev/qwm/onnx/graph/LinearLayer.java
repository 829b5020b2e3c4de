package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A linear layer of a graph: a {@code MatMul(X, W)} or {@code Gemm(X, W, b)} whose weight W is a constant
 * initializer, so it can be quantized. Matrix products of two activations (attention's QKᵀ and A·V) are not linear
 * layers. Weights are exchanged as an out×in matrix, row-major (PyTorch's {@code Linear.weight} layout): row n holds
 * the weights of output channel n, so per-channel and per-group quantization walk contiguous rows.
 *
 * @param name         the node's name (unique after {@link GraphEditor#nameNodes})
 * @param opType       MatMul or Gemm
 * @param inputName    the activation input X [..., inFeatures]
 * @param weightName   the weight initializer
 * @param weightOutIn  true when the initializer is stored [out, in] (Gemm transB=1), false for [in, out]
 * @param biasName     a bias initializer [out]: Gemm's C, or the constant of an Add right after a MatMul; null if none
 * @param biasAddNode  name of that separate Add node, null if the bias is Gemm's C or absent
 * @param outputName   the tensor holding X·W (before a separate bias Add)
 */
public record LinearLayer(String name, String opType, String inputName, String weightName, boolean weightOutIn,
                          String biasName, String biasAddNode, String outputName, int inFeatures, int outFeatures) {

    /** All linear layers of the model, in node order. Nodes must be named (see {@link GraphEditor#nameNodes}). */
    public static List<LinearLayer> findAll(ModelProto model) {
        GraphIndex index = GraphIndex.of(model);
        List<LinearLayer> out = new ArrayList<>();
        for (NodeProto n : index.nodes()) {
            if (!n.getDomain().isEmpty()) {
                continue;
            }
            of(index, n).ifPresent(out::add);
        }
        return out;
    }

    /** The linear layer this node is, if it is one. */
    public static Optional<LinearLayer> of(GraphIndex index, NodeProto n) {
        if (n.getOpType().equals("MatMul") && n.getInputCount() == 2) {
            Optional<TensorProto> w = index.constant(n.getInput(1));
            // an initializer (not a Constant node's output): the rewrite replaces it
            if (w.isEmpty() || w.get().getDimsCount() != 2 || !isFloat(w.get()) || index.initializer(n.getInput(1)).isEmpty()) {
                return Optional.empty();
            }
            int in = Math.toIntExact(w.get().getDims(0));
            int outF = Math.toIntExact(w.get().getDims(1));
            String bias = null;
            String biasAdd = null;
            List<NodeProto> consumers = index.consumers(n.getOutput(0));
            if (consumers.size() == 1 && !index.isGraphOutput(n.getOutput(0))) {
                NodeProto c = consumers.get(0);
                if (c.getOpType().equals("Add") && c.getDomain().isEmpty() && c.getInputCount() == 2) {
                    String other = c.getInput(0).equals(n.getOutput(0)) ? c.getInput(1) : c.getInput(0);
                    Optional<TensorProto> b = index.constant(other);
                    if (b.isPresent() && isFloat(b.get()) && b.get().getDimsCount() == 1 && b.get().getDims(0) == outF
                            && index.initializer(other).isPresent()) {
                        bias = other;
                        biasAdd = c.getName();
                    }
                }
            }
            return Optional.of(new LinearLayer(n.getName(), "MatMul", n.getInput(0), n.getInput(1), false, bias, biasAdd,
                    n.getOutput(0), in, outF));
        }
        if (n.getOpType().equals("Gemm") && n.getInputCount() >= 2) {
            if (Nodes.intAttribute(n, "transA", 0) != 0 || Nodes.floatAttribute(n, "alpha", 1f) != 1f
                    || Nodes.floatAttribute(n, "beta", 1f) != 1f) {
                return Optional.empty();
            }
            Optional<TensorProto> w = index.constant(n.getInput(1));
            if (w.isEmpty() || w.get().getDimsCount() != 2 || !isFloat(w.get()) || index.initializer(n.getInput(1)).isEmpty()) {
                return Optional.empty();
            }
            boolean outIn = Nodes.intAttribute(n, "transB", 0) != 0;
            int in = Math.toIntExact(w.get().getDims(outIn ? 1 : 0));
            int outF = Math.toIntExact(w.get().getDims(outIn ? 0 : 1));
            String bias = null;
            String c = Nodes.input(n, 2);
            if (!c.isEmpty()) {
                Optional<TensorProto> b = index.constant(c);
                if (b.isEmpty() || index.initializer(c).isEmpty() || elementCount(b.get()) != outF) {
                    return Optional.empty(); // a broadcast or computed C is not a per-channel bias
                }
                bias = c;
            }
            return Optional.of(new LinearLayer(n.getName(), "Gemm", n.getInput(0), n.getInput(1), outIn, bias, null,
                    n.getOutput(0), in, outF));
        }
        return Optional.empty();
    }

    /** The weights as an out×in row-major matrix. */
    public float[] readWeightsOutIn(GraphIndex index) {
        float[] stored = TensorData.toFloats(index.requireInitializer(weightName));
        return weightOutIn ? stored : transpose(stored, inFeatures, outFeatures);
    }

    /** An initializer holding {@code outIn} (out×in row-major) in this layer's stored layout, under {@code name}. */
    public TensorProto weightsTensor(String name, float[] outIn) {
        if (outIn.length != (long) inFeatures * outFeatures) {
            throw new GraphException("layer '" + this.name + "': " + outIn.length + " weights, expected "
                    + outFeatures + "x" + inFeatures);
        }
        return weightOutIn
                ? TensorData.floats(name, outIn, outFeatures, inFeatures)
                : TensorData.floats(name, transpose(outIn, outFeatures, inFeatures), inFeatures, outFeatures);
    }

    public Optional<float[]> readBias(GraphIndex index) {
        return biasName == null ? Optional.empty() : Optional.of(TensorData.toFloats(index.requireInitializer(biasName)));
    }

    public long weightCount() {
        return (long) inFeatures * outFeatures;
    }

    /** rows×cols row-major → cols×rows row-major. */
    public static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[base + c];
            }
        }
        return t;
    }

    private static boolean isFloat(TensorProto t) {
        return t.getDataType() == TensorProto.DataType.FLOAT_VALUE;
    }

    private static long elementCount(TensorProto t) {
        return TensorData.elementCount(t);
    }
}
