package dev.qwm.quant.transform;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.qwm.onnx.graph.GraphIndex;
import dev.qwm.onnx.graph.LayerNormNode;
import dev.qwm.onnx.graph.LinearLayer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Linear layers that read the output of one LayerNormalization (a transformer's LN→qkv or LN→fc1). A per-channel
 * rescaling of their common input can be folded exactly into the LayerNorm's γ and β and their weights, provided
 * nothing else reads the LayerNorm's values ({@code foldable}).
 */
public record LayerGroup(LayerNormNode norm, List<LinearLayer> layers, boolean foldable, String reason) {

    public int width() {
        return norm.channels();
    }

    public boolean allHaveBias() {
        return layers.stream().allMatch(l -> l.biasName() != null);
    }

    /** Whether a channel shift can be folded too: it needs the LayerNorm's β and a bias on every layer. */
    public boolean shiftable() {
        return foldable && norm.biasName() != null && allHaveBias();
    }

    /** The groups among {@code layers}, keyed by LayerNorm output; layers whose input is no LN output belong to none. */
    public static List<LayerGroup> find(ModelProto model, List<LinearLayer> allLayers) {
        GraphIndex index = GraphIndex.of(model);
        Map<String, List<LinearLayer>> byInput = new LinkedHashMap<>();
        for (LinearLayer l : allLayers) {
            byInput.computeIfAbsent(l.inputName(), k -> new ArrayList<>()).add(l);
        }
        List<LayerGroup> groups = new ArrayList<>();
        for (var e : byInput.entrySet()) {
            Optional<LayerNormNode> ln = LayerNormNode.producing(index, e.getKey());
            if (ln.isEmpty()) {
                continue;
            }
            Set<String> layerNodes = e.getValue().stream().map(LinearLayer::name).collect(Collectors.toSet());
            String reason = null;
            for (NodeProto consumer : index.consumers(e.getKey())) {
                if (!layerNodes.contains(consumer.getName()) && !readsOnlyShape(consumer)) {
                    reason = "LayerNorm '" + ln.get().name() + "' also feeds " + consumer.getOpType() + " '" + consumer.getName() + "'";
                }
            }
            if (index.isGraphOutput(e.getKey())) {
                reason = "LayerNorm '" + ln.get().name() + "' output is a graph output";
            }
            for (String shared : sharedInitializers(index, ln.get(), e.getValue())) {
                reason = "initializer '" + shared + "' is read by more than one node";
            }
            groups.add(new LayerGroup(ln.get(), List.copyOf(e.getValue()), reason == null, reason));
        }
        return groups;
    }

    /**
     * Shape and Size read a tensor's dimensions, never its values, so a rescaled LayerNorm output leaves them unchanged
     * (DINOv2's attention takes {@code B, N, C = x.shape} of its normalised input).
     */
    private static boolean readsOnlyShape(NodeProto n) {
        return n.getDomain().isEmpty() && (n.getOpType().equals("Shape") || n.getOpType().equals("Size"));
    }

    /** Initializers the fold would rewrite that another node also reads (tied weights, a shared γ). */
    private static List<String> sharedInitializers(GraphIndex index, LayerNormNode ln, List<LinearLayer> layers) {
        List<String> names = new ArrayList<>();
        names.add(ln.scaleName());
        if (ln.biasName() != null) {
            names.add(ln.biasName());
        }
        for (LinearLayer l : layers) {
            names.add(l.weightName());
            if (l.biasName() != null) {
                names.add(l.biasName());
            }
        }
        return names.stream().filter(n -> index.consumers(n).size() > 1).toList();
    }
}
