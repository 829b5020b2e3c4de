package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.NodeProto;

import java.util.Optional;

/**
 * A {@code LayerNormalization} over the last axis with constant γ (scale) and β (bias) initializers: the op that
 * SmoothQuant and OmniQuant's equivalent transforms fold their per-channel scales into.
 *
 * @param name       node name
 * @param inputName  the normalized tensor (for pre-LN transformers, the residual stream)
 * @param outputName the normalized output, input of the following linear layers
 * @param scaleName  γ initializer [C]
 * @param biasName   β initializer [C], or null when the node has none
 */
public record LayerNormNode(String name, String inputName, String outputName, String scaleName, String biasName,
                            int channels) {

    /** The LayerNormalization producing {@code tensor}, if it is one with constant per-channel γ (and β). */
    public static Optional<LayerNormNode> producing(GraphIndex index, String tensor) {
        Optional<NodeProto> p = index.producer(tensor);
        if (p.isEmpty()) {
            return Optional.empty();
        }
        NodeProto n = p.get();
        if (!n.getOpType().equals("LayerNormalization") || !n.getDomain().isEmpty() || !n.getOutput(0).equals(tensor)) {
            return Optional.empty();
        }
        long axis = Nodes.intAttribute(n, "axis", -1);
        if (axis != -1) {
            // Only a last-axis LN has a per-channel γ we can divide by a per-channel smoothing scale.
            return Optional.empty();
        }
        String scale = Nodes.input(n, 1);
        if (index.initializer(scale).isEmpty() || index.graphInputs().contains(scale)) {
            return Optional.empty();
        }
        int channels = Math.toIntExact(TensorData.elementCount(index.requireInitializer(scale)));
        if (index.requireInitializer(scale).getDimsCount() != 1) {
            return Optional.empty();
        }
        String bias = Nodes.input(n, 2);
        if (bias.isEmpty()) {
            bias = null;
        } else if (index.initializer(bias).isEmpty() || TensorData.elementCount(index.requireInitializer(bias)) != channels) {
            return Optional.empty();
        }
        return Optional.of(new LayerNormNode(n.getName(), n.getInput(0), tensor, scale, bias, channels));
    }
}
