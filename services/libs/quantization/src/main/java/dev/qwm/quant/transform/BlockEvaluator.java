package dev.qwm.quant.transform;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.qwm.onnx.graph.GraphEditor;
import dev.qwm.onnx.graph.GraphIndex;
import dev.qwm.onnx.graph.LinearLayer;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.graph.ValueInfos;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.quant.calib.BlockSnapshot;
import dev.qwm.quant.calib.CapturedTensor;
import dev.qwm.quant.emit.ActivationOps;
import dev.qwm.quant.recipe.ActivationSpec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Judges layer-group candidates on a {@link Block}'s output over calibration snapshots, in ONNX Runtime: the block is
 * cut out of the model with the group's LayerNorm γ/β, weights and biases turned into inputs, and each group layer's
 * input fake-quantized as its recipe says (static parameters as inputs too). The float block, run once, gives the
 * reference. One session serves every candidate.
 */
public final class BlockEvaluator implements GroupObjective {

    private final Block block;
    private final Map<String, ActivationSpec> activations;
    private final List<BlockSnapshot> snapshots;
    private final OnnxSession candidateSession;
    private final List<float[]> reference = new ArrayList<>();
    private final Map<String, String> scaleInputs = new HashMap<>();
    private final Map<String, String> zeroPointInputs = new HashMap<>();
    private final long referenceCount;
    private final double referenceEnergy;

    /**
     * @param activations activation format of each group layer, by layer name
     */
    public BlockEvaluator(ModelProto model, Block block, Map<String, ActivationSpec> activations,
                          List<BlockSnapshot> snapshots, SessionConfig config) {
        if (snapshots.isEmpty()) {
            throw new IllegalArgumentException("no calibration snapshots for block at '" + block.input() + "'");
        }
        this.block = block;
        this.activations = Map.copyOf(activations);
        this.snapshots = List.copyOf(snapshots);
        ModelProto sub = subgraph(model, block);
        long count = 0;
        double energy = 0;
        try (OnnxSession ref = OrtRuntime.open(sub.toByteArray(), "block " + block.input(), config)) {
            for (BlockSnapshot s : snapshots) {
                float[] y = run(ref, feed(s, Map.of()));
                reference.add(y);
                count += y.length;
                for (float v : y) {
                    energy += (double) v * v;
                }
            }
        }
        this.referenceCount = count;
        this.referenceEnergy = energy / Math.max(1, count);
        this.candidateSession = OrtRuntime.open(candidateGraph(sub).toByteArray(), "block candidate " + block.input(), config);
    }

    @Override
    public double error(GroupCandidate candidate) {
        return mse(candidate);
    }

    @Override
    public String describe() {
        return (block.residual() ? "residual block output" : "group layer outputs") + " on " + snapshots.size()
                + " calibration snapshots (ONNX Runtime)";
    }

    /** Mean square of the float block output (to express an error relative to the signal). */
    public double referenceEnergy() {
        return referenceEnergy;
    }

    /** Mean squared difference between the block output with this candidate and the float block output. */
    public double mse(GroupCandidate c) {
        Map<String, OnnxTensor> params = new LinkedHashMap<>();
        try {
            LayerGroup g = block.group();
            params.put(g.norm().scaleName(), floats(c.gamma(), c.gamma().length));
            if (g.norm().biasName() != null) {
                params.put(g.norm().biasName(), floats(c.beta(), c.beta().length));
            }
            for (LinearLayer l : g.layers()) {
                GroupCandidate.LayerCandidate lc = c.layers().get(l.name());
                float[] stored = l.weightOutIn() ? lc.weightsOutIn()
                        : LinearLayer.transpose(lc.weightsOutIn(), l.outFeatures(), l.inFeatures());
                params.put(l.weightName(), l.weightOutIn() ? floats(stored, l.outFeatures(), l.inFeatures())
                        : floats(stored, l.inFeatures(), l.outFeatures()));
                if (l.biasName() != null) {
                    params.put(l.biasName(), floats(lc.bias(), lc.bias().length));
                }
                if (scaleInputs.containsKey(l.name())) {
                    params.put(scaleInputs.get(l.name()), OnnxTensor.createTensor(OrtRuntime.environment(), lc.staticParams().scale()));
                    ByteBuffer zp = ByteBuffer.allocateDirect(1).order(ByteOrder.nativeOrder());
                    zp.put(0, (byte) lc.staticParams().zeroPoint());
                    params.put(zeroPointInputs.get(l.name()), OnnxTensor.createTensor(OrtRuntime.environment(), zp, new long[0], OnnxJavaType.UINT8));
                }
            }
            double sum = 0;
            for (int i = 0; i < snapshots.size(); i++) {
                float[] y = run(candidateSession, feed(snapshots.get(i), params));
                float[] r = reference.get(i);
                for (int k = 0; k < y.length; k++) {
                    double d = y[k] - r[k];
                    sum += d * d;
                }
            }
            return sum / referenceCount;
        } catch (OrtException e) {
            throw new IllegalStateException("cannot build candidate tensors: " + e.getMessage(), e);
        } finally {
            params.values().forEach(OnnxTensor::close);
        }
    }

    private static OnnxTensor floats(float[] v, long... shape) throws OrtException {
        return OnnxTensor.createTensor(OrtRuntime.environment(), FloatBuffer.wrap(v), shape);
    }

    private Map<String, OnnxTensor> feed(BlockSnapshot s, Map<String, OnnxTensor> params) {
        Map<String, OnnxTensor> feed = new LinkedHashMap<>(params);
        for (var e : s.inputs().entrySet()) {
            if (e.getKey().equals(block.input()) || block.graphInputs().contains(e.getKey())) {
                feed.put(e.getKey(), e.getValue().toOnnx());
            }
        }
        return feed;
    }

    private float[] run(OnnxSession session, Map<String, OnnxTensor> feed) {
        Set<String> owned = new HashSet<>(feed.keySet());
        owned.removeAll(paramNames());
        try (OrtSession.Result r = session.run(feed)) {
            int total = 0;
            List<float[]> parts = new ArrayList<>();
            for (String o : block.outputs()) {
                FloatBuffer b = ((OnnxTensor) r.get(o).orElseThrow()).getFloatBuffer();
                float[] f = new float[b.remaining()];
                b.get(f);
                parts.add(f);
                total += f.length;
            }
            float[] all = new float[total];
            int off = 0;
            for (float[] p : parts) {
                System.arraycopy(p, 0, all, off, p.length);
                off += p.length;
            }
            return all;
        } finally {
            for (String k : owned) {
                feed.get(k).close();
            }
        }
    }

    private Set<String> paramNames() {
        Set<String> names = new HashSet<>();
        LayerGroup g = block.group();
        names.add(g.norm().scaleName());
        if (g.norm().biasName() != null) {
            names.add(g.norm().biasName());
        }
        for (LinearLayer l : g.layers()) {
            names.add(l.weightName());
            if (l.biasName() != null) {
                names.add(l.biasName());
            }
        }
        names.addAll(scaleInputs.values());
        names.addAll(zeroPointInputs.values());
        return names;
    }

    /** The block as a model of its own: inputs are the block input and the graph inputs it reads. */
    private static ModelProto subgraph(ModelProto model, Block block) {
        GraphIndex index = GraphIndex.of(model);
        GraphProto.Builder g = GraphProto.newBuilder().setName("block");
        g.addAllNode(block.nodes());
        Set<String> used = new HashSet<>();
        for (NodeProto n : block.nodes()) {
            used.addAll(n.getInputList());
        }
        for (TensorProto t : model.getGraph().getInitializerList()) {
            if (used.contains(t.getName())) {
                g.addInitializer(t);
            }
        }
        g.addInput(ValueInfos.tensorOfUnknownShape(block.input(), TensorProto.DataType.FLOAT_VALUE));
        for (ValueInfoProto v : model.getGraph().getInputList()) {
            if (block.graphInputs().contains(v.getName()) && index.initializer(v.getName()).isEmpty()) {
                g.addInput(v);
            }
        }
        for (String o : block.outputs()) {
            g.addOutput(ValueInfoProto.newBuilder().setName(o));
        }
        return model.toBuilder().clearMetadataProps().setGraph(g).build();
    }

    /** The subgraph with the group's parameters as inputs and each group layer's input fake-quantized. */
    private ModelProto candidateGraph(ModelProto sub) {
        GraphEditor e = GraphEditor.of(sub);
        LayerGroup g = block.group();
        List<String> promoted = new ArrayList<>();
        promoted.add(g.norm().scaleName());
        if (g.norm().biasName() != null) {
            promoted.add(g.norm().biasName());
        }
        for (LinearLayer l : g.layers()) {
            promoted.add(l.weightName());
            if (l.biasName() != null) {
                promoted.add(l.biasName());
            }
        }
        for (String name : promoted) {
            e.removeInitializer(name);
            e.addInput(ValueInfos.tensorOfUnknownShape(name, TensorProto.DataType.FLOAT_VALUE));
        }
        ActivationOps ops = new ActivationOps(e, OnnxModels.opsetVersion(sub, OnnxModels.DEFAULT_DOMAIN));
        for (LinearLayer l : g.layers()) {
            ActivationSpec act = activations.getOrDefault(l.name(), ActivationSpec.FLOAT);
            if (act.isFloat()) {
                continue;
            }
            List<NodeProto> nodes = new ArrayList<>();
            List<TensorProto> inits = new ArrayList<>();
            String p = l.name() + "/eval";
            String fq;
            if (act.granularity() == ActivationSpec.Granularity.TENSOR) {
                String scale = e.freshName(p + "/act_scale");
                String zp = e.freshName(p + "/act_zero_point");
                e.addInput(ValueInfos.tensor(scale, TensorProto.DataType.FLOAT_VALUE));
                e.addInput(ValueInfos.tensor(zp, TensorProto.DataType.UINT8_VALUE));
                scaleInputs.put(l.name(), scale);
                zeroPointInputs.put(l.name(), zp);
                String codes = ops.codes(l.inputName(), scale, zp, act.bits(), nodes, inits, p);
                fq = ops.dequantize(codes, scale, zp, nodes, p);
            } else {
                fq = ops.tokenDequantize(ops.tokenCodes(l.inputName(), act.bits(), nodes, inits, p), nodes, p);
            }
            inits.forEach(e::putInitializer);
            e.insertBefore(l.name(), nodes);
            e.setNodeInput(l.name(), 0, fq);
        }
        return e.build();
    }

    @Override
    public void close() {
        candidateSession.close();
    }
}
