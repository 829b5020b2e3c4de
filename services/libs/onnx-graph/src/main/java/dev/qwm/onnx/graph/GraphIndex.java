package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A read-only index of a graph: who produces and who consumes each tensor, and which tensors are constants.
 * Build a new one after every rewrite.
 */
public final class GraphIndex {

    private final GraphProto graph;
    private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
    private final Map<String, Integer> producerIndex = new HashMap<>();
    private final Map<String, List<Integer>> consumerIndex = new HashMap<>();
    private final Set<String> graphInputs = new LinkedHashSet<>();
    private final Set<String> graphOutputs = new LinkedHashSet<>();

    public GraphIndex(GraphProto graph) {
        this.graph = graph;
        for (TensorProto t : graph.getInitializerList()) {
            initializers.put(t.getName(), t);
        }
        for (ValueInfoProto v : graph.getInputList()) {
            graphInputs.add(v.getName());
        }
        for (ValueInfoProto v : graph.getOutputList()) {
            graphOutputs.add(v.getName());
        }
        for (int i = 0; i < graph.getNodeCount(); i++) {
            NodeProto n = graph.getNode(i);
            for (String out : n.getOutputList()) {
                if (!out.isEmpty()) {
                    producerIndex.put(out, i);
                }
            }
            for (String in : n.getInputList()) {
                if (!in.isEmpty()) {
                    consumerIndex.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
                }
            }
        }
    }

    public static GraphIndex of(ModelProto model) {
        return new GraphIndex(model.getGraph());
    }

    public GraphProto graph() {
        return graph;
    }

    public List<NodeProto> nodes() {
        return graph.getNodeList();
    }

    public NodeProto node(int index) {
        return graph.getNode(index);
    }

    public Optional<TensorProto> initializer(String name) {
        return Optional.ofNullable(initializers.get(name));
    }

    public TensorProto requireInitializer(String name) {
        TensorProto t = initializers.get(name);
        if (t == null) {
            throw new GraphException("no initializer named '" + name + "'");
        }
        return t;
    }

    public Map<String, TensorProto> initializers() {
        return Collections.unmodifiableMap(initializers);
    }

    /**
     * The constant value of a tensor: an initializer that is not also a graph input (which a caller could override),
     * or the output of a {@code Constant} node with a {@code value} attribute.
     */
    public Optional<TensorProto> constant(String name) {
        TensorProto t = initializers.get(name);
        if (t != null) {
            return graphInputs.contains(name) ? Optional.empty() : Optional.of(t);
        }
        Integer p = producerIndex.get(name);
        if (p != null) {
            NodeProto n = graph.getNode(p);
            if (n.getOpType().equals("Constant") && n.getDomain().isEmpty()) {
                return Nodes.attribute(n, "value").filter(a -> a.hasT()).map(a -> a.getT().toBuilder().setName(name).build());
            }
        }
        return Optional.empty();
    }

    public Optional<NodeProto> producer(String tensor) {
        Integer i = producerIndex.get(tensor);
        return i == null ? Optional.empty() : Optional.of(graph.getNode(i));
    }

    /** Position of the node producing {@code tensor}, or -1 for graph inputs, initializers and unknown names. */
    public int producerIndex(String tensor) {
        return producerIndex.getOrDefault(tensor, -1);
    }

    public List<NodeProto> consumers(String tensor) {
        List<Integer> idx = consumerIndex.getOrDefault(tensor, List.of());
        List<NodeProto> out = new ArrayList<>(idx.size());
        for (int i : idx) {
            out.add(graph.getNode(i));
        }
        return out;
    }

    public List<Integer> consumerIndices(String tensor) {
        return Collections.unmodifiableList(consumerIndex.getOrDefault(tensor, List.of()));
    }

    public int indexOf(NodeProto node) {
        for (int i = 0; i < graph.getNodeCount(); i++) {
            if (graph.getNode(i) == node || (!node.getName().isEmpty() && graph.getNode(i).getName().equals(node.getName()))) {
                return i;
            }
        }
        return -1;
    }

    public Set<String> graphInputs() {
        return Collections.unmodifiableSet(graphInputs);
    }

    public Set<String> graphOutputs() {
        return Collections.unmodifiableSet(graphOutputs);
    }

    public boolean isGraphOutput(String tensor) {
        return graphOutputs.contains(tensor);
    }
}
