package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;

import java.util.Collection;
import java.util.List;

/**
 * Rewrites weight-only {@code com.microsoft:MatMulNBits} nodes as float MatMuls on the weights they stand for:
 * W[k, n] = (code − 2^(bits−1)) · scale[n, block], the dequantization ORT's kernel does itself before its float
 * product (default zero points, accuracy_level 0: float activations). B is uint8 [N, blocks, blob], codes LSB first;
 * scales are float [N·blocks]. Used at session load as a kernel variant ({@code KernelChoice}); the file keeps its
 * packed weights.
 */
public final class MatMulNBitsExpansion {

    private MatMulNBitsExpansion() {
    }

    /**
     * Whether {@code n} is a MatMulNBits this rewrite reproduces exactly: accuracy_level 0, 2/4/8-bit blocks, packed
     * weights and float scales as initializers, no zero points, group index or bias.
     */
    public static boolean expandable(NodeProto n, GraphIndex index) {
        if (!n.getOpType().equals("MatMulNBits") || !n.getDomain().equals(OnnxModels.MICROSOFT_DOMAIN)) {
            return false;
        }
        long bits = Nodes.intAttribute(n, "bits", 4);
        if (Nodes.intAttribute(n, "accuracy_level", 0) != 0 || (bits != 2 && bits != 4 && bits != 8)
                || n.getInputCount() < 3) {
            return false;
        }
        for (int i = 3; i < n.getInputCount(); i++) {
            if (!n.getInput(i).isEmpty()) {
                return false;
            }
        }
        var b = index.initializer(n.getInput(1));
        var s = index.initializer(n.getInput(2));
        return b.isPresent() && s.isPresent() && b.get().getDataType() == TensorProto.DataType.UINT8_VALUE
                && s.get().getDataType() == TensorProto.DataType.FLOAT_VALUE;
    }

    /** {@code model} with the named MatMulNBits nodes replaced by float MatMuls (each must be {@link #expandable}). */
    public static ModelProto expand(ModelProto model, Collection<String> nodeNames) {
        GraphEditor editor = GraphEditor.of(model);
        GraphIndex index = GraphIndex.of(model);
        for (String name : nodeNames) {
            NodeProto n = editor.node(name);
            if (!expandable(n, index)) {
                throw new IllegalArgumentException("node '" + name + "' is not a weight-only MatMulNBits that can be "
                        + "expanded exactly: " + Nodes.describe(n));
            }
            float[] w = weights(n, index);
            TensorProto t = TensorData.floats(editor.freshName(name + "/W_float"), w,
                    Nodes.intAttribute(n, "K", 0), Nodes.intAttribute(n, "N", 0));
            editor.putInitializer(t);
            editor.replaceNode(name, List.of(Nodes.node("MatMul", name, List.of(n.getInput(0), t.getName()),
                    List.of(n.getOutput(0)))));
        }
        editor.pruneUnusedInitializers();
        return editor.build();
    }

    /** The float weights [K, N] (row-major) a MatMulNBits node multiplies by. */
    static float[] weights(NodeProto n, GraphIndex index) {
        int k = Math.toIntExact(Nodes.intAttribute(n, "K", 0));
        int nOut = Math.toIntExact(Nodes.intAttribute(n, "N", 0));
        int bits = Math.toIntExact(Nodes.intAttribute(n, "bits", 4));
        int block = Math.toIntExact(Nodes.intAttribute(n, "block_size", 0));
        byte[] packed = TensorData.rawBytes(index.requireInitializer(n.getInput(1)));
        float[] scales = TensorData.toFloats(index.requireInitializer(n.getInput(2)));
        int blocks = (k + block - 1) / block;
        int blob = block * bits / 8;
        if (packed.length != (long) nOut * blocks * blob || scales.length != (long) nOut * blocks) {
            throw new IllegalArgumentException("MatMulNBits '" + n.getName() + "': B has " + packed.length
                    + " bytes and scales " + scales.length + " values, expected " + (long) nOut * blocks * blob
                    + " and " + (long) nOut * blocks + " for K=" + k + " N=" + nOut + " bits=" + bits + " block=" + block);
        }
        int zero = 1 << (bits - 1);
        int mask = (1 << bits) - 1;
        float[] w = new float[k * nOut];
        for (int o = 0; o < nOut; o++) {
            for (int b = 0; b < blocks; b++) {
                float s = scales[o * blocks + b];
                int base = (o * blocks + b) * blob;
                for (int j = 0; j < block && b * block + j < k; j++) {
                    int bit = j * bits;
                    int code = ((packed[base + bit / 8] & 0xFF) >>> (bit % 8)) & mask;
                    w[(b * block + j) * nOut + o] = (float) (code - zero) * s;
                }
            }
        }
        return w;
    }
}
