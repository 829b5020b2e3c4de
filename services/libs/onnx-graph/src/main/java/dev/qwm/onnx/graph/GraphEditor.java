package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A mutable copy of a model for rewriting: replace initializers and nodes, insert nodes, add outputs. Node order
 * stays topological as long as inserted nodes only read tensors produced before their insertion point, which is
 * how every rewrite here is written (a replacement reads what the replaced node read).
 */
public final class GraphEditor {

    private final ModelProto original;
    private final List<NodeProto> nodes;
    private final Map<String, TensorProto> initializers;
    private final List<ValueInfoProto> outputs;
    private final List<ValueInfoProto> addedInputs = new ArrayList<>();
    private final Set<String> removedInputs = new HashSet<>();
    private final Set<String> names = new HashSet<>();
    private ModelProto.Builder header;

    private GraphEditor(ModelProto model) {
        this.original = model;
        this.header = model.toBuilder();
        GraphProto g = model.getGraph();
        this.nodes = new ArrayList<>(g.getNodeList());
        this.initializers = new LinkedHashMap<>();
        for (TensorProto t : g.getInitializerList()) {
            initializers.put(t.getName(), t);
        }
        this.outputs = new ArrayList<>(g.getOutputList());
        for (NodeProto n : nodes) {
            names.add(n.getName());
            names.addAll(n.getOutputList());
            names.addAll(n.getInputList());
        }
        names.addAll(initializers.keySet());
        g.getInputList().forEach(v -> names.add(v.getName()));
    }

    public static GraphEditor of(ModelProto model) {
        return new GraphEditor(model);
    }

    /**
     * The model with every node named, uniquely: unnamed nodes get {@code <OpType>_<position>}, repeated names a
     * numeric suffix. Layer patterns in recipes and per-layer reports refer to these names.
     */
    public static ModelProto nameNodes(ModelProto model) {
        GraphProto g = model.getGraph();
        Set<String> seen = new HashSet<>();
        boolean changed = false;
        GraphProto.Builder gb = g.toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            String name = n.getName().isEmpty() ? n.getOpType() + "_" + i : n.getName();
            String unique = name;
            for (int k = 1; seen.contains(unique); k++) {
                unique = name + "_" + k;
            }
            seen.add(unique);
            if (!unique.equals(n.getName())) {
                gb.setNode(i, n.toBuilder().setName(unique));
                changed = true;
            }
        }
        return changed ? model.toBuilder().setGraph(gb).build() : model;
    }

    /**
     * The model with every {@code Identity} of an initializer replaced by a copy of that initializer under the
     * Identity's output name. torch.onnx.export deduplicates parameters with equal values (every LayerNorm's γ = 1
     * and β = 0 in a freshly initialised model) into one initializer read through Identity nodes; such a γ is neither
     * a constant of its LayerNorm nor private to it, so no equivalent transform could be folded into it. The copies
     * compute exactly what the Identities did; only the file grows by the copied tensors.
     */
    public static ModelProto untieIdentityInitializers(ModelProto model) {
        GraphProto g = model.getGraph();
        Map<String, TensorProto> inits = new LinkedHashMap<>();
        g.getInitializerList().forEach(t -> inits.put(t.getName(), t));
        Set<String> graphInputs = new HashSet<>();
        g.getInputList().forEach(v -> graphInputs.add(v.getName()));
        Set<String> graphOutputs = new HashSet<>();
        g.getOutputList().forEach(v -> graphOutputs.add(v.getName()));
        GraphProto.Builder gb = g.toBuilder().clearNode();
        Set<String> untied = new HashSet<>();
        for (NodeProto n : g.getNodeList()) {
            boolean constantIdentity = n.getOpType().equals("Identity") && n.getDomain().isEmpty()
                    && n.getInputCount() == 1 && n.getOutputCount() == 1
                    && inits.containsKey(n.getInput(0)) && !graphInputs.contains(n.getInput(0)) // an input may override it
                    && !graphOutputs.contains(n.getOutput(0)) && !inits.containsKey(n.getOutput(0));
            if (constantIdentity) {
                gb.addInitializer(inits.get(n.getInput(0)).toBuilder().setName(n.getOutput(0)));
                untied.add(n.getInput(0));
            } else {
                gb.addNode(n);
            }
        }
        if (untied.isEmpty()) {
            return model;
        }
        // an initializer that only Identities read is now read by nothing: drop it rather than ship it twice
        Set<String> read = new HashSet<>(graphOutputs);
        for (NodeProto n : gb.getNodeList()) {
            read.addAll(n.getInputList());
            for (var a : n.getAttributeList()) {
                if (a.hasG()) {
                    collectSubgraphInputs(a.getG(), read);
                }
                a.getGraphsList().forEach(sub -> collectSubgraphInputs(sub, read));
            }
        }
        for (int i = gb.getInitializerCount() - 1; i >= 0; i--) {
            String name = gb.getInitializer(i).getName();
            if (untied.contains(name) && !read.contains(name)) {
                gb.removeInitializer(i);
            }
        }
        return model.toBuilder().setGraph(gb).build();
    }

    /** A tensor or node name not yet used in the graph, derived from {@code base}. */
    public String freshName(String base) {
        String name = base;
        for (int k = 1; names.contains(name); k++) {
            name = base + "_" + k;
        }
        names.add(name);
        return name;
    }

    public TensorProto initializer(String name) {
        TensorProto t = initializers.get(name);
        if (t == null) {
            throw new GraphException("no initializer named '" + name + "'");
        }
        return t;
    }

    public boolean hasInitializer(String name) {
        return initializers.containsKey(name);
    }

    /** Adds the initializer, or replaces the one of the same name. */
    public GraphEditor putInitializer(TensorProto t) {
        initializers.put(t.getName(), t);
        names.add(t.getName());
        return this;
    }

    public GraphEditor removeInitializer(String name) {
        initializers.remove(name);
        return this;
    }

    public List<NodeProto> nodes() {
        return List.copyOf(nodes);
    }

    public int indexOfNode(String nodeName) {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).getName().equals(nodeName)) {
                return i;
            }
        }
        throw new GraphException("no node named '" + nodeName + "'");
    }

    public NodeProto node(String nodeName) {
        return nodes.get(indexOfNode(nodeName));
    }

    /** Replaces the named node by {@code replacement}, in place. */
    public GraphEditor replaceNode(String nodeName, List<NodeProto> replacement) {
        int i = indexOfNode(nodeName);
        nodes.remove(i);
        nodes.addAll(i, replacement);
        register(replacement);
        return this;
    }

    public GraphEditor insertBefore(String nodeName, List<NodeProto> inserted) {
        nodes.addAll(indexOfNode(nodeName), inserted);
        register(inserted);
        return this;
    }

    /** Puts nodes before all others (e.g. preprocessing in front of a graph input that it now computes). */
    public GraphEditor prependNodes(List<NodeProto> prepended) {
        nodes.addAll(0, prepended);
        register(prepended);
        return this;
    }

    /** Appends nodes after all others (e.g. statistics that read tensors the model computes anyway). */
    public GraphEditor appendNodes(List<NodeProto> appended) {
        nodes.addAll(appended);
        register(appended);
        return this;
    }

    public GraphEditor removeNode(String nodeName) {
        nodes.remove(indexOfNode(nodeName));
        return this;
    }

    /** Renames every use of tensor {@code from} as a node input to {@code to} (outputs and graph outputs untouched). */
    public GraphEditor renameInputs(String from, String to) {
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            if (n.getInputList().contains(from)) {
                NodeProto.Builder b = n.toBuilder();
                for (int k = 0; k < b.getInputCount(); k++) {
                    if (b.getInput(k).equals(from)) {
                        b.setInput(k, to);
                    }
                }
                nodes.set(i, b.build());
            }
        }
        return this;
    }

    /** Sets one input of the named node. */
    public GraphEditor setNodeInput(String nodeName, int inputIndex, String tensor) {
        int i = indexOfNode(nodeName);
        nodes.set(i, nodes.get(i).toBuilder().setInput(inputIndex, tensor).build());
        return this;
    }

    /**
     * Declares an existing intermediate tensor as a graph output, with a name-only value info (ONNX Runtime infers
     * type and shape), so a session can return it, e.g. to capture activations for calibration.
     */
    public GraphEditor addOutput(String tensor) {
        for (ValueInfoProto v : outputs) {
            if (v.getName().equals(tensor)) {
                return this;
            }
        }
        outputs.add(ValueInfoProto.newBuilder().setName(tensor).build());
        return this;
    }

    /** Adds a graph input (with its type; the shape may be left out). */
    public GraphEditor addInput(ValueInfoProto info) {
        addedInputs.add(info);
        names.add(info.getName());
        return this;
    }

    /** Drops a graph input (whose tensor some node must now produce, or no node may read). */
    public GraphEditor removeInput(String name) {
        addedInputs.removeIf(v -> v.getName().equals(name));
        removedInputs.add(name);
        return this;
    }

    /** Drops a graph output; the tensor stays if a node still reads it. */
    public GraphEditor removeOutput(String name) {
        outputs.removeIf(v -> v.getName().equals(name));
        return this;
    }

    /** Whether {@code name} is used in the graph as a tensor, node or initializer name. */
    public boolean isUsed(String name) {
        return names.contains(name);
    }

    /** Declares an output with full type info (needed for tensors ORT cannot infer, e.g. from contrib ops). */
    public GraphEditor addOutput(ValueInfoProto info) {
        outputs.removeIf(v -> v.getName().equals(info.getName()));
        outputs.add(info);
        return this;
    }

    /**
     * Makes sure the model imports {@code domain} at least at {@code version}. A contrib domain is added when missing.
     * The default domain is never raised, since a higher opset changes the meaning of ops already in the graph
     * (e.g. ReduceMean's axes moved from attribute to input in opset 18); a model whose default opset is too low for
     * an op we need is refused instead.
     */
    public GraphEditor requireOpset(String domain, long version, String forWhat) {
        ModelProto current = header.build();
        long have = OnnxModels.opsetVersion(current, domain);
        if (OnnxModels.normalizeDomain(domain).isEmpty()) {
            if (have < version) {
                throw new GraphException(forWhat + " needs ONNX opset " + version + " or later; the model imports opset "
                        + have + " (re-export it with a newer opset)");
            }
            return this;
        }
        if (have < version) {
            header = OnnxModels.withOpset(current, domain, version).toBuilder();
        }
        return this;
    }

    /** Drops initializers no node reads and no graph output names (e.g. float weights replaced by packed ones). */
    public GraphEditor pruneUnusedInitializers() {
        Set<String> used = new HashSet<>();
        for (NodeProto n : nodes) {
            used.addAll(n.getInputList());
            for (var a : n.getAttributeList()) {
                if (a.hasG()) {
                    collectSubgraphInputs(a.getG(), used);
                }
                for (GraphProto sub : a.getGraphsList()) {
                    collectSubgraphInputs(sub, used);
                }
            }
        }
        outputs.forEach(v -> used.add(v.getName()));
        initializers.keySet().removeIf(name -> !used.contains(name));
        return this;
    }

    public ModelProto build() {
        GraphProto.Builder g = original.getGraph().toBuilder()
                .clearNode().addAllNode(nodes)
                .clearInitializer().addAllInitializer(initializers.values())
                .clearOutput().addAllOutput(outputs);
        // Graph inputs that were initializers and no longer exist must go too.
        List<ValueInfoProto> inputs = new ArrayList<>();
        Set<String> originalInitializers = new HashSet<>();
        original.getGraph().getInitializerList().forEach(t -> originalInitializers.add(t.getName()));
        for (ValueInfoProto v : original.getGraph().getInputList()) {
            if ((!originalInitializers.contains(v.getName()) || initializers.containsKey(v.getName()))
                    && !removedInputs.contains(v.getName())) {
                inputs.add(v);
            }
        }
        inputs.addAll(addedInputs);
        g.clearInput().addAllInput(inputs);
        // Shapes recorded for tensors that no longer exist would only mislead ORT's shape inference.
        Set<String> produced = new HashSet<>();
        nodes.forEach(n -> produced.addAll(n.getOutputList()));
        List<ValueInfoProto> valueInfo = new ArrayList<>();
        for (ValueInfoProto v : original.getGraph().getValueInfoList()) {
            if (produced.contains(v.getName())) {
                valueInfo.add(v);
            }
        }
        g.clearValueInfo().addAllValueInfo(valueInfo);
        return header.setGraph(g).build();
    }

    private void register(List<NodeProto> added) {
        for (NodeProto n : added) {
            names.add(n.getName());
            names.addAll(n.getOutputList());
        }
    }

    private static void collectSubgraphInputs(GraphProto g, Set<String> used) {
        for (NodeProto n : g.getNodeList()) {
            used.addAll(n.getInputList());
        }
    }
}
