package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The two activation products of each attention core in a graph: {@code scores = q·kᵀ} (a MatMul of two
 * activations), optionally scaled by a constant (Mul or Div) and masked (Add), a Softmax over the last axis, and
 * {@code probabilities·v} (a MatMul whose first input is the Softmax output). Masked or not, whatever the Reshapes
 * and Transposes around it: only the two MatMuls and what lies between them are matched, so a frame-causal mask stays
 * where it is. Linear layers (a MatMul with a constant weight) never match.
 */
public final class AttentionCores {

    /**
     * One attention core.
     *
     * @param softmax       the Softmax node's name (what identifies the core)
     * @param scoresMatMul  the MatMul node of q·kᵀ
     * @param query         its first input (q, [..., S, d])
     * @param key           its second input (kᵀ, [..., d, S])
     * @param scores        its output
     * @param probabilities the Softmax output, the first input of {@code valueMatMul}
     * @param valueMatMul   the MatMul node of probabilities·v
     * @param value         its second input (v, [..., S, d])
     * @param context       its output
     * @param masked        whether a mask (Add or Where) lies between the scores and the Softmax
     * @param scaleNode     the Mul or Div by a scalar constant that reads {@code scores} only, null when none
     * @param scaleFactor   what that node multiplies the scores by (1/c for a Div by c), 1 when none
     * @param scaled        the scaled scores (its output), {@code scores} when none
     */
    public record Core(String softmax, String scoresMatMul, String query, String key, String scores,
                       String probabilities, String valueMatMul, String value, String context, boolean masked,
                       String scaleNode, float scaleFactor, String scaled) {
    }

    private AttentionCores() {
    }

    public static List<Core> find(ModelProto model) {
        GraphIndex index = GraphIndex.of(model);
        List<Core> cores = new ArrayList<>();
        for (NodeProto softmax : index.nodes()) {
            if (!isOp(softmax, "Softmax") || !lastAxis(softmax, model)) {
                continue;
            }
            String v = softmax.getInput(0);
            NodeProto p = single(index, v);
            boolean masked = false;
            if (p != null && isOp(p, "Add") && !isConstant(index, p.getInput(0))) {
                masked = true;
                v = p.getInput(0);
                p = single(index, v);
            } else if (p != null && isOp(p, "Where") && p.getInputCount() == 3
                    && isConstant(index, p.getInput(1)) != isConstant(index, p.getInput(2))) {
                masked = true;
                v = isConstant(index, p.getInput(1)) ? p.getInput(2) : p.getInput(1);
                p = single(index, v);
            }
            NodeProto scale = null;
            if (p != null && (isOp(p, "Mul") || isOp(p, "Div")) && isConstant(index, p.getInput(1))) {
                scale = p;
                v = p.getInput(0);
                p = single(index, v);
            }
            if (p == null || !isOp(p, "MatMul") || isConstant(index, p.getInput(0)) || isConstant(index, p.getInput(1))) {
                continue;
            }
            NodeProto scores = p;
            String probabilities = softmax.getOutput(0);
            List<NodeProto> readers = index.consumers(probabilities);
            if (readers.size() != 1 || !isOp(readers.get(0), "MatMul") || !readers.get(0).getInput(0).equals(probabilities)
                    || isConstant(index, readers.get(0).getInput(1)) || index.graphOutputs().contains(probabilities)) {
                continue;
            }
            NodeProto av = readers.get(0);
            float[] c = scale == null ? null : TensorData.toFloats(index.constant(scale.getInput(1)).orElseThrow());
            boolean scalar = c != null && c.length == 1 && Float.isFinite(c[0]) && c[0] != 0;
            cores.add(new Core(softmax.getName(), scores.getName(), scores.getInput(0), scores.getInput(1),
                    scores.getOutput(0), probabilities, av.getName(), av.getInput(1), av.getOutput(0), masked,
                    scalar ? scale.getName() : null, scalar ? (isOp(scale, "Div") ? 1f / c[0] : c[0]) : 1f,
                    scalar ? scale.getOutput(0) : scores.getOutput(0)));
        }
        return cores;
    }

    /** The producer of {@code tensor} when nothing else reads it (so rewriting the chain affects only this core). */
    private static NodeProto single(GraphIndex index, String tensor) {
        Optional<NodeProto> p = index.producer(tensor);
        if (p.isEmpty() || index.consumers(tensor).size() != 1 || index.graphOutputs().contains(tensor)) {
            return null;
        }
        return p.get();
    }

    private static boolean isConstant(GraphIndex index, String tensor) {
        return index.constant(tensor).isPresent();
    }

    /** Softmax over the last axis, written as −1 (opset 13's default; before it the default was 1). */
    private static boolean lastAxis(NodeProto softmax, ModelProto model) {
        long defaultAxis = OnnxModels.opsetVersion(model, OnnxModels.DEFAULT_DOMAIN) >= 13 ? -1 : 1;
        return Nodes.intAttribute(softmax, "axis", defaultAxis) == -1;
    }

    private static boolean isOp(NodeProto n, String op) {
        return n.getOpType().equals(op) && n.getDomain().isEmpty();
    }
}
