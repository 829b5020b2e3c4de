package dev.qwm.quant.transform;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.qwm.onnx.graph.GraphIndex;
import dev.qwm.onnx.graph.LinearLayer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The part of the graph whose output a layer group's quantization is judged on. For a pre-LN transformer block,
 * x + f(LN(x)), it is the whole residual branch up to the residual Add (attention with its softmax and output
 * projection, or the MLP with its activation and second layer), read from the block input x. Otherwise (no residual
 * Add found, or the branch would reach into other blocks) it is the group's own layers, from LN input to their outputs.
 *
 * @param input       the block input (the LayerNorm's input)
 * @param outputs     tensors compared against the float model
 * @param residual    true for a whole residual branch
 * @param nodes       the nodes computing the outputs from the input, in graph order
 * @param graphInputs model inputs the block also reads (e.g. for a mask)
 */
public record Block(LayerGroup group, String input, List<String> outputs, boolean residual, List<NodeProto> nodes,
                    Set<String> graphInputs) {

    public static Block of(ModelProto model, LayerGroup group) {
        GraphIndex index = GraphIndex.of(model);
        String x = group.norm().inputName();
        String residualOut = residualAdd(index, x, group.norm().outputName());
        if (residualOut != null) {
            Block b = extract(index, group, x, List.of(residualOut), true);
            long norms = b.nodes().stream().filter(n -> n.getOpType().equals("LayerNormalization")).count();
            if (norms == 1) {
                return b;
            }
        }
        List<String> outs = new ArrayList<>();
        for (LinearLayer l : group.layers()) {
            outs.add(l.biasAddNode() != null ? index.nodes().get(indexOf(index, l.biasAddNode())).getOutput(0) : l.outputName());
        }
        return extract(index, group, x, outs, false);
    }

    /** The Add that adds {@code x} to something computed from {@code lnOut}, i.e. the block's residual connection. */
    private static String residualAdd(GraphIndex index, String x, String lnOut) {
        Set<String> downstream = new HashSet<>();
        Deque<String> queue = new ArrayDeque<>(List.of(lnOut));
        while (!queue.isEmpty() && downstream.size() < 10_000) {
            String t = queue.poll();
            if (!downstream.add(t)) {
                continue;
            }
            for (NodeProto c : index.consumers(t)) {
                queue.addAll(c.getOutputList());
            }
        }
        for (NodeProto c : index.consumers(x)) {
            if (c.getOpType().equals("Add") && c.getInputCount() == 2) {
                String other = c.getInput(0).equals(x) ? c.getInput(1) : c.getInput(0);
                if (downstream.contains(other)) {
                    return c.getOutput(0);
                }
            }
        }
        return null;
    }

    private static Block extract(GraphIndex index, LayerGroup group, String x, List<String> outputs, boolean residual) {
        TreeSet<Integer> included = new TreeSet<>();
        Set<String> graphInputs = new LinkedHashSet<>();
        Set<String> visited = new HashSet<>();
        Deque<String> stack = new ArrayDeque<>(outputs);
        while (!stack.isEmpty()) {
            String t = stack.pop();
            if (t.isEmpty() || !visited.add(t) || t.equals(x) || index.initializer(t).isPresent()) {
                continue;
            }
            if (index.graphInputs().contains(t)) {
                graphInputs.add(t);
                continue;
            }
            int p = index.producerIndex(t);
            if (p < 0) {
                throw new IllegalStateException("tensor '" + t + "' has no producer");
            }
            if (included.add(p)) {
                for (String in : index.node(p).getInputList()) {
                    stack.push(in);
                }
            }
        }
        List<NodeProto> nodes = new ArrayList<>();
        for (int i : included) {
            nodes.add(index.node(i));
        }
        return new Block(group, x, List.copyOf(outputs), residual, List.copyOf(nodes), graphInputs);
    }

    private static int indexOf(GraphIndex index, String nodeName) {
        for (int i = 0; i < index.nodes().size(); i++) {
            if (index.node(i).getName().equals(nodeName)) {
                return i;
            }
        }
        throw new IllegalStateException("no node " + nodeName);
    }
}
