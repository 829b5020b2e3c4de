package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A float product whose output is only split into equal parts along its last axis (the attention's fused q, k, v
 * projection) rewritten as one MatMul per part, each with its columns of the weight: no Split copy. Each output
 * element is the same dot product over K either way; whether MLAS sums it in the same order for the narrower weight
 * is checked on the CPU that runs it (the load-time kernel choice), never assumed.
 */
public final class SplitProducts {

    /**
     * @param split  the Split node's name (what identifies the site)
     * @param matMul the MatMul node's name
     * @param weight its float weight [K, N]
     * @param k      input width
     * @param n      output width before the split
     * @param parts  number of equal parts
     */
    public record Site(String split, String matMul, String weight, int k, int n, int parts) {
    }

    private SplitProducts() {
    }

    public static List<Site> find(ModelProto model) {
        GraphIndex index = GraphIndex.of(model);
        GraphProto g = model.getGraph();
        Map<String, NodeProto> producer = new HashMap<>();
        Map<String, Integer> readers = new HashMap<>();
        for (NodeProto n : g.getNodeList()) {
            n.getOutputList().forEach(o -> producer.put(o, n));
            n.getInputList().forEach(i -> readers.merge(i, 1, Integer::sum));
        }
        Set<String> graphOutputs = new HashSet<>();
        g.getOutputList().forEach(o -> graphOutputs.add(o.getName()));
        List<Site> sites = new ArrayList<>();
        for (NodeProto split : g.getNodeList()) {
            if (!split.getOpType().equals("Split") || !split.getDomain().isEmpty()
                    || Nodes.intAttribute(split, "axis", 0) != -1) {
                continue;
            }
            NodeProto mm = producer.get(split.getInput(0));
            if (mm == null || !mm.getOpType().equals("MatMul") || !mm.getDomain().isEmpty()
                    || readers.get(split.getInput(0)) != 1 || graphOutputs.contains(split.getInput(0))) {
                continue;
            }
            Optional<TensorProto> w = index.initializer(mm.getInput(1));
            if (w.isEmpty() || w.get().getDimsCount() != 2 || w.get().getDataType() != TensorProto.DataType.FLOAT_VALUE) {
                continue;
            }
            int k = (int) w.get().getDims(0);
            int n = (int) w.get().getDims(1);
            int parts = split.getOutputCount();
            if (parts < 2 || n % parts != 0 || !equalParts(split, index, n / parts)) {
                continue;
            }
            sites.add(new Site(split.getName(), mm.getName(), mm.getInput(1), k, n, parts));
        }
        return sites;
    }

    /** {@code model} with the product of each site whose Split is named in {@code splits} as one MatMul per part. */
    public static ModelProto split(ModelProto model, List<String> splits) {
        List<Site> chosen = find(model).stream().filter(s -> splits.contains(s.split())).toList();
        if (chosen.size() != splits.size()) {
            throw new GraphException("no split product at " + splits);
        }
        GraphEditor e = GraphEditor.of(model);
        for (Site s : chosen) {
            NodeProto split = e.node(s.split());
            NodeProto mm = e.node(s.matMul());
            float[] w = TensorData.toFloats(e.initializer(s.weight()));
            int width = s.n() / s.parts();
            List<NodeProto> products = new ArrayList<>();
            for (int p = 0; p < s.parts(); p++) {
                float[] part = new float[s.k() * width];
                for (int row = 0; row < s.k(); row++) {
                    System.arraycopy(w, row * s.n() + p * width, part, row * width, width);
                }
                String name = e.freshName(s.weight() + "/part" + p);
                e.putInitializer(TensorData.floats(name, part, s.k(), width));
                products.add(Nodes.node("MatMul", s.matMul() + "/part" + p, List.of(mm.getInput(0), name),
                        List.of(split.getOutput(p))));
            }
            e.replaceNode(s.split(), products);
            e.removeNode(s.matMul());
        }
        return e.pruneUnusedInitializers().build();
    }

    private static boolean equalParts(NodeProto split, GraphIndex index, int width) {
        if (split.getInputCount() > 1 && !split.getInput(1).isEmpty()) {
            Optional<TensorProto> sizes = index.initializer(split.getInput(1));
            if (sizes.isEmpty()) {
                return false;
            }
            for (long size : TensorData.toLongs(sizes.get())) {
                if (size != width) {
                    return false;
                }
            }
            return true;
        }
        return Nodes.intAttribute(split, "num_outputs", split.getOutputCount()) == split.getOutputCount();
    }
}
