package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Masked multi-head attention as the exporter writes it (per head: Reshape and Transpose of q, k, v; q·kᵀ; × scale;
 * + mask; Softmax; · v; Transpose and Reshape back) found in a graph, and rewritten as one ONNX Runtime
 * {@code com.microsoft:MultiHeadAttention} node with the mask as its attention bias.
 *
 * <p>The rewrite is a kernel variant, not a recipe: with an attention bias, ORT 1.29's CPU MultiHeadAttention runs the
 * same float GEMMs, the same bias add and the same MLAS softmax as the separate nodes, and gives their outputs bit
 * for bit where that was checked (the load-time choice compares both on the CPU that runs them before using it).
 * Attention without a mask is not rewritten: there MultiHeadAttention takes its flash-attention path, whose online
 * softmax sums in another order.
 */
public final class MultiHeadAttentions {

    public static final String OP = "MultiHeadAttention";

    /**
     * One attention core.
     *
     * @param softmax  the Softmax node's name (what identifies the site)
     * @param query    the value reshaped into q heads ([B, S, heads × headDim])
     * @param key      the same for k
     * @param value    the same for v
     * @param mask     the additive mask added to the scores ([S, S])
     * @param maxSeq   the longest sequence the mask allows (its source table's first dimension), 0 if unknown
     * @param heads    number of heads
     * @param headDim  width of a head
     * @param scale    the score scale
     * @param output   the value of the heads merged back ([B, S, heads × headDim])
     * @param nodes    the nodes the MultiHeadAttention node replaces
     */
    public record Site(String softmax, String query, String key, String value, String mask, int maxSeq, int heads,
                       int headDim, float scale, String output, List<String> nodes) {
    }

    private MultiHeadAttentions() {
    }

    public static List<Site> find(ModelProto model) {
        GraphIndex index = GraphIndex.of(model);
        GraphProto g = model.getGraph();
        Map<String, NodeProto> producer = new HashMap<>();
        Map<String, List<NodeProto>> consumers = new HashMap<>();
        for (NodeProto n : g.getNodeList()) {
            n.getOutputList().forEach(o -> producer.put(o, n));
            n.getInputList().forEach(i -> consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n));
        }
        Set<String> graphOutputs = new HashSet<>();
        g.getOutputList().forEach(o -> graphOutputs.add(o.getName()));
        List<Site> sites = new ArrayList<>();
        for (NodeProto softmax : g.getNodeList()) {
            if (!isOp(softmax, "Softmax") || Nodes.intAttribute(softmax, "axis", -1) != -1) {
                continue;
            }
            Matcher m = new Matcher(producer, consumers, graphOutputs);
            NodeProto add = m.only(softmax.getInput(0), "Add");
            NodeProto mul = add == null ? null : m.only(add.getInput(0), "Mul");
            NodeProto qk = mul == null ? null : m.only(mul.getInput(0), "MatMul");
            NodeProto qT = qk == null ? null : m.only(qk.getInput(0), "Transpose");
            NodeProto kT = qk == null ? null : m.only(qk.getInput(1), "Transpose");
            NodeProto qR = qT == null ? null : m.only(qT.getInput(0), "Reshape");
            NodeProto kR = kT == null ? null : m.only(kT.getInput(0), "Reshape");
            NodeProto av = m.onlyConsumer(softmax.getOutput(0), "MatMul");
            NodeProto vT = av == null || !av.getInput(0).equals(softmax.getOutput(0)) ? null : m.only(av.getInput(1), "Transpose");
            NodeProto vR = vT == null ? null : m.only(vT.getInput(0), "Reshape");
            NodeProto oT = av == null ? null : m.onlyConsumer(av.getOutput(0), "Transpose");
            NodeProto oR = oT == null ? null : m.onlyConsumer(oT.getOutput(0), "Reshape");
            if (oR == null || qR == null || kR == null || vR == null || !m.ok) {
                continue;
            }
            Optional<float[]> scale = index.initializer(mul.getInput(1)).map(TensorData::toFloats);
            long[] headShape = index.initializer(qR.getInput(1)).map(TensorData::toLongs).orElse(null);
            if (scale.isEmpty() || scale.get().length != 1 || headShape == null || headShape.length != 4
                    || !Arrays.equals(headShape, index.initializer(kR.getInput(1)).map(TensorData::toLongs).orElse(null))
                    || !Arrays.equals(headShape, index.initializer(vR.getInput(1)).map(TensorData::toLongs).orElse(null))
                    || !perm(qT, 0, 2, 1, 3) || !perm(kT, 0, 2, 3, 1) || !perm(vT, 0, 2, 1, 3) || !perm(oT, 0, 2, 1, 3)) {
                continue;
            }
            int heads = (int) headShape[2];
            int headDim = (int) headShape[3];
            long[] merged = index.initializer(oR.getInput(1)).map(TensorData::toLongs).orElse(null);
            if (heads <= 0 || headDim <= 0 || merged == null || merged.length != 3 || merged[2] != (long) heads * headDim) {
                continue;
            }
            sites.add(new Site(softmax.getName(), qR.getInput(0), kR.getInput(0), vR.getInput(0), add.getInput(1),
                    maxSeq(add.getInput(1), producer, index), heads, headDim, scale.get()[0], oR.getOutput(0),
                    List.of(qR.getName(), kR.getName(), vR.getName(), qT.getName(), kT.getName(), vT.getName(),
                            qk.getName(), mul.getName(), add.getName(), softmax.getName(), av.getName(), oT.getName(),
                            oR.getName())));
        }
        return sites;
    }

    /** {@code model} with the attention of each site whose Softmax is named in {@code softmaxNodes} as one node. */
    public static ModelProto fuse(ModelProto model, List<String> softmaxNodes) {
        List<Site> chosen = find(model).stream().filter(s -> softmaxNodes.contains(s.softmax())).toList();
        if (chosen.size() != softmaxNodes.size()) {
            throw new GraphException("no attention to fuse at " + softmaxNodes + " (found " + find(model).stream().map(Site::softmax).toList() + ")");
        }
        GraphEditor e = GraphEditor.of(model);
        for (Site s : chosen) {
            String axes = e.freshName(s.softmax() + "/bias_axes");
            String bias = e.freshName(s.softmax() + "/attention_bias");
            e.putInitializer(TensorData.int64s(axes, new long[]{0, 1}, 2));
            // where the merging Reshape was: its inputs (q, k, v and the mask) all exist by then
            e.insertBefore(s.nodes().get(s.nodes().size() - 1), List.of(
                    Nodes.node("Unsqueeze", s.softmax() + "/unsqueeze_mask", List.of(s.mask(), axes), List.of(bias)),
                    Nodes.node(OnnxModels.MICROSOFT_DOMAIN, OP, s.softmax() + "/" + OP,
                            List.of(s.query(), s.key(), s.value(), "", "", bias), List.of(s.output()),
                            Nodes.intAttr("num_heads", s.heads()), Nodes.floatAttr("scale", s.scale()))));
            for (String n : s.nodes()) {
                e.removeNode(n);
            }
        }
        return OnnxModels.withOpset(e.pruneUnusedInitializers().build(), OnnxModels.MICROSOFT_DOMAIN, 1);
    }

    /** The first dimension of the table a mask is sliced from (the longest sequence), or 0. */
    private static int maxSeq(String mask, Map<String, NodeProto> producer, GraphIndex index) {
        String v = mask;
        for (int hops = 0; hops < 4; hops++) {
            Optional<TensorProto> t = index.initializer(v);
            if (t.isPresent()) {
                return t.get().getDimsCount() == 2 ? (int) t.get().getDims(0) : 0;
            }
            NodeProto p = producer.get(v);
            if (p == null || !(isOp(p, "Slice") || isOp(p, "Identity") || isOp(p, "Cast"))) {
                return 0;
            }
            v = p.getInput(0);
        }
        return 0;
    }

    private static boolean perm(NodeProto transpose, long... perm) {
        return Nodes.attribute(transpose, "perm").map(a -> Arrays.equals(
                a.getIntsList().stream().mapToLong(Long::longValue).toArray(), perm)).orElse(false);
    }

    private static boolean isOp(NodeProto n, String op) {
        return n.getOpType().equals(op) && n.getDomain().isEmpty();
    }

    /** Walks single-consumer chains; any step that fails clears {@link #ok}. */
    private static final class Matcher {
        final Map<String, NodeProto> producer;
        final Map<String, List<NodeProto>> consumers;
        final Set<String> graphOutputs;
        boolean ok = true;

        Matcher(Map<String, NodeProto> producer, Map<String, List<NodeProto>> consumers, Set<String> graphOutputs) {
            this.producer = producer;
            this.consumers = consumers;
            this.graphOutputs = graphOutputs;
        }

        /** The producer of {@code value} if it is an {@code op} whose output only this chain reads. */
        NodeProto only(String value, String op) {
            NodeProto p = producer.get(value);
            if (p == null || !isOp(p, op) || consumers.getOrDefault(value, List.of()).size() != 1 || graphOutputs.contains(value)) {
                ok = false;
                return null;
            }
            return p;
        }

        /** The one consumer of {@code value} if it is an {@code op}. */
        NodeProto onlyConsumer(String value, String op) {
            List<NodeProto> c = consumers.getOrDefault(value, List.of());
            if (c.size() != 1 || !isOp(c.get(0), op) || graphOutputs.contains(value)) {
                ok = false;
                return null;
            }
            return c.get(0);
        }
    }
}
