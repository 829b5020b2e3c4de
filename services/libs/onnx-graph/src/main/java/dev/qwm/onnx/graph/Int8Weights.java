package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The two storages of 8-bit weight codes that ONNX Runtime's integer GEMM multiplies: int8 codes with zero point 0
 * (u8×s8 GEMM) or uint8 codes + 128 with zero point 128 (u8×u8 GEMM). Both stand for the same integers, so the
 * integer products are the same wherever the GEMM is exact; u8×s8 is not exact on CPUs whose kernel saturates 16-bit
 * pair sums (vpmaddubsw without VNNI). Sites are the weight DequantizeLinear of a QDQ MatMul/Gemm and the weight
 * input of a MatMulInteger; {@link #withStorage} rewrites them from one storage to the other.
 */
public final class Int8Weights {

    /** Storage names (also the GEMM variant they select). */
    public static final String SIGNED = "u8s8";
    public static final String UNSIGNED = "u8u8";

    /**
     * One weight tensor of an integer product.
     *
     * @param node    the DequantizeLinear or MatMulInteger node
     * @param storage {@link #SIGNED} or {@link #UNSIGNED}, as stored
     * @param k       input features
     * @param n       output features
     * @param outIn   weights stored [N, K] (a Gemm with transB) instead of [K, N]
     */
    public record Site(String node, String storage, int k, int n, boolean outIn) {
    }

    private Int8Weights() {
    }

    public static List<Site> find(ModelProto model) {
        GraphIndex index = GraphIndex.of(model);
        List<Site> sites = new ArrayList<>();
        for (NodeProto node : model.getGraph().getNodeList()) {
            site(node, index, model).ifPresent(sites::add);
        }
        return sites;
    }

    private static Optional<Site> site(NodeProto node, GraphIndex index, ModelProto model) {
        boolean dq = node.getOpType().equals("DequantizeLinear") && node.getDomain().isEmpty();
        boolean mi = node.getOpType().equals("MatMulInteger") && node.getDomain().isEmpty();
        if (!dq && !mi) {
            return Optional.empty();
        }
        int wIndex = dq ? 0 : 1;
        if (node.getInputCount() <= wIndex) {
            return Optional.empty();
        }
        Optional<TensorProto> w = index.initializer(node.getInput(wIndex));
        if (w.isEmpty() || w.get().getDimsCount() != 2) {
            return Optional.empty();
        }
        int type = w.get().getDataType();
        if (type != TensorProto.DataType.INT8_VALUE && type != TensorProto.DataType.UINT8_VALUE) {
            return Optional.empty();
        }
        boolean signed = type == TensorProto.DataType.INT8_VALUE;
        int zpIndex = dq ? 2 : 3;
        String zpName = node.getInputCount() > zpIndex ? node.getInput(zpIndex) : "";
        if (!zeroPointIs(zpName.isEmpty() ? null : index.initializer(zpName).orElse(null), signed ? 0 : 128, zpName.isEmpty())) {
            return Optional.empty();
        }
        if (!signed && zpName.isEmpty()) {
            return Optional.empty();
        }
        boolean outIn = false;
        if (dq) {
            // weights of a MatMul ([K, N]) or of a Gemm with transB ([N, K]), nothing else
            NodeProto consumer = null;
            for (NodeProto c : model.getGraph().getNodeList()) {
                if (c.getInputList().contains(node.getOutput(0))) {
                    if (consumer != null) {
                        return Optional.empty();
                    }
                    consumer = c;
                }
            }
            if (consumer == null || consumer.getInputCount() < 2 || !consumer.getInput(1).equals(node.getOutput(0))) {
                return Optional.empty();
            }
            if (consumer.getOpType().equals("Gemm")) {
                if (Nodes.intAttribute(consumer, "transB", 0) != 1 || Nodes.intAttribute(consumer, "transA", 0) != 0) {
                    return Optional.empty();
                }
                outIn = true;
            } else if (!consumer.getOpType().equals("MatMul")) {
                return Optional.empty();
            }
        }
        long d0 = w.get().getDims(0);
        long d1 = w.get().getDims(1);
        return Optional.of(new Site(node.getName(), signed ? SIGNED : UNSIGNED, Math.toIntExact(outIn ? d1 : d0),
                Math.toIntExact(outIn ? d0 : d1), outIn));
    }

    private static boolean zeroPointIs(TensorProto zp, int value, boolean absent) {
        if (absent) {
            return value == 0;
        }
        if (zp == null) {
            return false;
        }
        for (byte b : TensorData.rawBytes(zp)) {
            if ((value == 0 ? b : (b & 0xFF)) != value) {
                return false;
            }
        }
        return true;
    }

    /** The codes of a site as stored, signed (−128..127), row-major [K, N]. */
    public static int[] codes(ModelProto model, Site site) {
        GraphIndex index = GraphIndex.of(model);
        NodeProto node = GraphEditor.of(model).node(site.node());
        byte[] raw = TensorData.rawBytes(index.requireInitializer(node.getInput(node.getOpType().equals("DequantizeLinear") ? 0 : 1)));
        int[] c = new int[site.k() * site.n()];
        for (int kk = 0; kk < site.k(); kk++) {
            for (int nn = 0; nn < site.n(); nn++) {
                byte b = raw[site.outIn() ? nn * site.k() + kk : kk * site.n() + nn];
                c[kk * site.n() + nn] = site.storage().equals(SIGNED) ? b : (b & 0xFF) - 128;
            }
        }
        return c;
    }

    /** {@code model} with the named sites stored as {@code storage} ({@link #SIGNED} or {@link #UNSIGNED}). */
    public static ModelProto withStorage(ModelProto model, Collection<String> nodes, String storage) {
        if (!storage.equals(SIGNED) && !storage.equals(UNSIGNED)) {
            throw new IllegalArgumentException("storage must be " + SIGNED + " or " + UNSIGNED + ", got " + storage);
        }
        boolean toSigned = storage.equals(SIGNED);
        GraphEditor editor = GraphEditor.of(model);
        GraphIndex index = GraphIndex.of(model);
        for (String name : nodes) {
            NodeProto node = editor.node(name);
            Site site = site(node, index, model).orElseThrow(() -> new IllegalArgumentException(
                    "node '" + name + "' holds no 8-bit weights of an integer product: " + Nodes.describe(node)));
            if (site.storage().equals(storage)) {
                continue;
            }
            boolean dq = node.getOpType().equals("DequantizeLinear");
            int wIndex = dq ? 0 : 1;
            TensorProto w = index.requireInitializer(node.getInput(wIndex));
            byte[] raw = TensorData.rawBytes(w);
            byte[] shifted = new byte[raw.length];
            for (int i = 0; i < raw.length; i++) {
                shifted[i] = (byte) (raw[i] + 128); // int8 c <-> uint8 c + 128: the same bits with the top one flipped
            }
            long[] dims = TensorData.dims(w);
            TensorProto nw = toSigned ? TensorData.int8s(editor.freshName(w.getName() + "/s8"), shifted, dims)
                    : TensorData.uint8s(editor.freshName(w.getName() + "/u8"), shifted, dims);
            editor.putInitializer(nw);
            editor.setNodeInput(name, wIndex, nw.getName());
            int zpIndex = dq ? 2 : 3;
            if (dq) {
                // DequantizeLinear keeps its zero point's shape (per channel), now 0 as int8 or 128 as uint8
                TensorProto zp = index.requireInitializer(node.getInput(2));
                byte[] z = new byte[TensorData.rawBytes(zp).length];
                java.util.Arrays.fill(z, toSigned ? (byte) 0 : (byte) 128);
                TensorProto nz = toSigned ? TensorData.int8s(editor.freshName(zp.getName() + "/s8"), z, TensorData.dims(zp))
                        : TensorData.uint8s(editor.freshName(zp.getName() + "/u8"), z, TensorData.dims(zp));
                editor.putInitializer(nz);
                editor.setNodeInput(name, zpIndex, nz.getName());
            } else if (toSigned) {
                // MatMulInteger: int8 B with no zero point (0)
                NodeProto.Builder b = editor.node(name).toBuilder();
                List<String> in = new ArrayList<>(b.getInputList());
                while (in.size() > 3) {
                    in.remove(in.size() - 1);
                }
                while (!in.isEmpty() && in.get(in.size() - 1).isEmpty()) {
                    in.remove(in.size() - 1);
                }
                editor.replaceNode(name, List.of(b.clearInput().addAllInput(in).build()));
            } else {
                TensorProto nz = TensorData.uint8s(editor.freshName(name + "/b_zero_point_u8"), new byte[]{(byte) 128});
                editor.putInitializer(nz);
                NodeProto.Builder b = editor.node(name).toBuilder();
                List<String> in = new ArrayList<>(b.getInputList());
                while (in.size() < 3) {
                    in.add("");
                }
                if (in.size() > 3) {
                    in.set(3, nz.getName());
                } else {
                    in.add(nz.getName());
                }
                editor.replaceNode(name, List.of(b.clearInput().addAllInput(in).build()));
            }
        }
        editor.pruneUnusedInitializers();
        return editor.build();
    }
}
