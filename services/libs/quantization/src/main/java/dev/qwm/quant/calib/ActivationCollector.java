package dev.qwm.quant.calib;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.qwm.onnx.graph.GraphEditor;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.graph.TensorData;
import dev.qwm.onnx.graph.ValueInfos;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.quant.recipe.CalibrationSettings;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static dev.qwm.onnx.graph.Nodes.intAttr;
import static dev.qwm.onnx.graph.Nodes.intsAttr;
import static dev.qwm.onnx.graph.Nodes.node;

/**
 * Streams calibration statistics out of a float model while it runs, with bounded memory. The model is augmented
 * with extra outputs computed by ONNX Runtime itself, so nothing proportional to the activations crosses into Java:
 * per observed tensor (flattened to rows of its last dimension) the per-channel min, max and Σ|x|, the row count,
 * {@code rowsPerBatch} rows sampled uniformly (indices drawn by this collector and fed as an extra input), and
 * optionally their Gram matrix sᵀs; per range tensor (any shape, e.g. attention's q, kᵀ, probabilities and v) its
 * min and max over all elements; per block input tensor one batch item, taken only on the runs its reservoir keeps.
 * Use {@link #run} in place of the plain session while planning the calibration episodes (the model's own outputs
 * come back unchanged), then {@link #result}.
 */
public final class ActivationCollector implements AutoCloseable {

    /** Statistics wanted for one layer-input tensor of last dimension {@code width}. */
    public record TensorRequest(String tensor, int width, boolean gram) {
    }

    /** Sampled batch items wanted for a block whose input is {@code tensor}, with the graph inputs it also reads. */
    public record SnapshotRequest(String tensor, Set<String> graphInputs) {
    }

    static final String ROW_DRAW_INPUT = "qwm_calibration_row_draw";
    static final String ITEM_INPUT = "qwm_calibration_batch_item";

    private record TensorOutputs(TensorRequest request, String min, String max, String absSum, String shape,
                                 String sample, String gram) {
    }

    private record SnapshotOutputs(SnapshotRequest request, String item, String shape) {
    }

    private record RangeOutputs(String tensor, String min, String max) {
    }

    private final CalibrationSettings settings;
    private final ModelProto original;
    private final byte[] augmented;
    private final OnnxSession session;
    private final Set<String> modelOutputs;
    private final List<TensorOutputs> tensorOutputs = new ArrayList<>();
    private final List<SnapshotOutputs> snapshotOutputs = new ArrayList<>();
    private final List<RangeOutputs> rangeOutputs = new ArrayList<>();
    private final Map<String, float[]> ranges = new LinkedHashMap<>();
    private final Map<String, TensorStatistics> statistics = new LinkedHashMap<>();
    private final Map<String, List<BlockSnapshot>> snapshots = new LinkedHashMap<>();
    private final Map<String, Long> snapshotOffers = new LinkedHashMap<>();
    private final SplittableRandom random;
    private final MessageDigest digest;
    private long batches;

    public ActivationCollector(ModelProto model, List<TensorRequest> tensors, List<SnapshotRequest> blocks,
                               CalibrationSettings settings, SessionConfig config) {
        this(model, tensors, blocks, List.of(), settings, config);
    }

    /** @param rangeTensors tensors of any shape whose min and max over all elements are wanted */
    public ActivationCollector(ModelProto model, List<TensorRequest> tensors, List<SnapshotRequest> blocks,
                               List<String> rangeTensors, CalibrationSettings settings, SessionConfig config) {
        this.settings = settings;
        this.original = model;
        this.random = new SplittableRandom(settings.samplingSeed());
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        this.modelOutputs = new LinkedHashSet<>();
        model.getGraph().getOutputList().forEach(v -> modelOutputs.add(v.getName()));
        GraphEditor editor = GraphEditor.of(model);
        long opset = OnnxModels.opsetVersion(model, OnnxModels.DEFAULT_DOMAIN);
        editor.addInput(ValueInfos.tensor(ROW_DRAW_INPUT, TensorProto.DataType.FLOAT_VALUE, settings.rowsPerBatch()));
        editor.addInput(ValueInfos.tensor(ITEM_INPUT, TensorProto.DataType.INT64_VALUE, 1));
        Set<String> seen = new HashSet<>();
        List<NodeProto> added = new ArrayList<>();
        for (TensorRequest t : tensors) {
            if (!seen.add(t.tensor())) {
                continue;
            }
            TensorOutputs o = addTensorStatistics(editor, added, t, opset);
            tensorOutputs.add(o);
            statistics.put(t.tensor(), new TensorStatistics(t.tensor(), t.width(), settings.rowsPerTensor(), t.gram(),
                    settings.samplingSeed() ^ t.tensor().hashCode()));
        }
        for (SnapshotRequest s : blocks) {
            if (snapshots.containsKey(s.tensor())) {
                continue;
            }
            snapshotOutputs.add(addSnapshot(editor, added, s));
            snapshots.put(s.tensor(), new ArrayList<>());
            snapshotOffers.put(s.tensor(), 0L);
        }
        for (String t : rangeTensors) {
            if (ranges.containsKey(t)) {
                continue;
            }
            String p = "qwm_calibration/range/" + t;
            String mn = editor.freshName(p + "/min");
            String mx = editor.freshName(p + "/max");
            // no axes: over every element, whatever the rank (also for opset 18+, where axes became an input)
            added.add(node("ReduceMin", editor.freshName(p + "/ReduceMin"), List.of(t), List.of(mn), intAttr("keepdims", 0)));
            added.add(node("ReduceMax", editor.freshName(p + "/ReduceMax"), List.of(t), List.of(mx), intAttr("keepdims", 0)));
            editor.addOutput(mn);
            editor.addOutput(mx);
            rangeOutputs.add(new RangeOutputs(t, mn, mx));
            ranges.put(t, new float[]{Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY});
        }
        ModelProto built = editor.appendNodes(added).build();
        this.augmented = built.toByteArray();
        this.session = OrtRuntime.openVaryingShapes(augmented, "calibration model", config);
    }

    private TensorOutputs addTensorStatistics(GraphEditor e, List<NodeProto> n, TensorRequest t, long opset) {
        String p = "qwm_calibration/" + t.tensor();
        TensorProto shape2d = TensorData.int64s(e.freshName(p + "/rows_shape"), new long[]{-1, t.width()}, 2);
        TensorProto axis0 = TensorData.int64s(e.freshName(p + "/axis0"), new long[]{0}, 1);
        TensorProto zero = TensorData.int64s(e.freshName(p + "/zero"), new long[]{0});
        TensorProto one = TensorData.int64s(e.freshName(p + "/one"), new long[]{1});
        for (TensorProto c : List.of(shape2d, axis0, zero, one)) {
            e.putInitializer(c);
        }
        String x2 = out(e, n, "Reshape", p + "/rows", List.of(t.tensor(), shape2d.getName()));
        String mn = reduce(e, n, "ReduceMin", x2, axis0.getName(), opset, p + "/min");
        String mx = reduce(e, n, "ReduceMax", x2, axis0.getName(), opset, p + "/max");
        String abs = out(e, n, "Abs", p + "/abs", List.of(x2));
        String asum = e.freshName(p + "/abs_sum");
        n.add(node("ReduceSum", e.freshName(p + "/ReduceSum"), List.of(abs, axis0.getName()), List.of(asum), intAttr("keepdims", 0)));
        String shape = out(e, n, "Shape", p + "/shape", List.of(x2));
        String rows = e.freshName(p + "/row_count");
        n.add(node("Gather", e.freshName(p + "/Gather_rows"), List.of(shape, zero.getName()), List.of(rows), intAttr("axis", 0)));
        String rowsF = e.freshName(p + "/row_count_f");
        n.add(node("Cast", e.freshName(p + "/Cast_rows"), List.of(rows), List.of(rowsF), intAttr("to", TensorProto.DataType.FLOAT_VALUE)));
        String scaled = out(e, n, "Mul", p + "/draw_scaled", List.of(ROW_DRAW_INPUT, rowsF));
        String floored = out(e, n, "Floor", p + "/draw_floor", List.of(scaled));
        String idx = e.freshName(p + "/draw_index");
        n.add(node("Cast", e.freshName(p + "/Cast_index"), List.of(floored), List.of(idx), intAttr("to", TensorProto.DataType.INT64_VALUE)));
        String lastRow = out(e, n, "Sub", p + "/last_row", List.of(rows, one.getName()));
        String safeIdx = out(e, n, "Min", p + "/draw_index_safe", List.of(idx, lastRow)); // float rounding can reach rows
        String sample = e.freshName(p + "/sample");
        n.add(node("Gather", e.freshName(p + "/Gather_sample"), List.of(x2, safeIdx), List.of(sample), intAttr("axis", 0)));
        String gram = null;
        if (t.gram()) {
            String st = e.freshName(p + "/sample_t");
            n.add(node("Transpose", e.freshName(p + "/Transpose"), List.of(sample), List.of(st), intsAttr("perm", 1, 0)));
            gram = out(e, n, "MatMul", p + "/gram", List.of(st, sample));
        }
        for (String o : new String[]{mn, mx, asum, shape, sample, gram}) {
            if (o != null) {
                e.addOutput(o);
            }
        }
        return new TensorOutputs(t, mn, mx, asum, shape, sample, gram);
    }

    private SnapshotOutputs addSnapshot(GraphEditor e, List<NodeProto> n, SnapshotRequest s) {
        String p = "qwm_calibration/snapshot/" + s.tensor();
        TensorProto zero = TensorData.int64s(e.freshName(p + "/zero"), new long[]{0}, 1);
        TensorProto one = TensorData.int64s(e.freshName(p + "/one"), new long[]{1}, 1);
        e.putInitializer(zero);
        e.putInitializer(one);
        String shape = out(e, n, "Shape", p + "/shape", List.of(s.tensor()));
        String dim0 = out(e, n, "Slice", p + "/dim0", List.of(shape, zero.getName(), one.getName()));
        String index = out(e, n, "Mod", p + "/index", List.of(ITEM_INPUT, dim0)); // never out of range
        String item = e.freshName(p + "/item");
        n.add(node("Gather", e.freshName(p + "/Gather"), List.of(s.tensor(), index), List.of(item), intAttr("axis", 0)));
        e.addOutput(item);
        e.addOutput(shape);
        return new SnapshotOutputs(s, item, shape);
    }

    private static String out(GraphEditor e, List<NodeProto> n, String op, String name, List<String> inputs) {
        String o = e.freshName(name);
        n.add(node(op, e.freshName(name + "/" + op), inputs, List.of(o)));
        return o;
    }

    private static String reduce(GraphEditor e, List<NodeProto> n, String op, String x, String axes, long opset, String name) {
        String o = e.freshName(name);
        if (opset >= 18) {
            n.add(node(op, e.freshName(name + "/" + op), List.of(x, axes), List.of(o), intAttr("keepdims", 0)));
        } else {
            n.add(node(op, e.freshName(name + "/" + op), List.of(x), List.of(o), intsAttr("axes", 0), intAttr("keepdims", 0)));
        }
        return o;
    }

    /** The augmented model (for inspection, or to run elsewhere with the two extra inputs). */
    public byte[] augmentedModel() {
        return augmented.clone();
    }

    /**
     * Runs the model on {@code inputs} (the caller keeps ownership of them), collects statistics, and returns the
     * result holding the model's outputs (and the statistics outputs); close it.
     */
    public OrtSession.Result run(Map<String, OnnxTensor> inputs) {
        fingerprint(inputs);
        long batch = batchSize(inputs);
        int item = (int) random.nextLong(Math.max(1, batch));
        List<SnapshotOutputs> wanted = new ArrayList<>();
        for (SnapshotOutputs s : snapshotOutputs) {
            long offers = snapshotOffers.merge(s.request().tensor(), 1L, Long::sum);
            if (offers <= settings.snapshots() || random.nextLong(offers) < settings.snapshots()) {
                wanted.add(s);
            }
        }
        Set<String> requested = new LinkedHashSet<>(modelOutputs);
        for (TensorOutputs t : tensorOutputs) {
            requested.add(t.min());
            requested.add(t.max());
            requested.add(t.absSum());
            requested.add(t.shape());
            requested.add(t.sample());
            if (t.gram() != null) {
                requested.add(t.gram());
            }
        }
        for (SnapshotOutputs s : wanted) {
            requested.add(s.item());
            requested.add(s.shape());
        }
        for (RangeOutputs o : rangeOutputs) {
            requested.add(o.min());
            requested.add(o.max());
        }
        float[] draws = new float[settings.rowsPerBatch()];
        for (int i = 0; i < draws.length; i++) {
            draws[i] = (float) random.nextDouble();
        }
        try (OnnxTensor drawTensor = OnnxTensor.createTensor(OrtRuntime.environment(), FloatBuffer.wrap(draws), new long[]{draws.length});
             OnnxTensor itemTensor = OnnxTensor.createTensor(OrtRuntime.environment(), LongBuffer.wrap(new long[]{item}), new long[]{1})) {
            Map<String, OnnxTensor> all = new LinkedHashMap<>(inputs);
            all.put(ROW_DRAW_INPUT, drawTensor);
            all.put(ITEM_INPUT, itemTensor);
            OrtSession.Result result = session.run(all, requested);
            try {
                accumulate(result, wanted, inputs, item, batch);
            } catch (RuntimeException ex) {
                result.close();
                throw ex;
            }
            batches++;
            return result;
        } catch (OrtException e) {
            throw new IllegalStateException("cannot create calibration inputs: " + e.getMessage(), e);
        }
    }

    /** Runs and discards the model outputs. */
    public void observe(Map<String, OnnxTensor> inputs) {
        run(inputs).close();
    }

    private void accumulate(OrtSession.Result r, List<SnapshotOutputs> wanted, Map<String, OnnxTensor> inputs, int item,
                            long batch) {
        for (TensorOutputs t : tensorOutputs) {
            long[] shape = longs(r, t.shape());
            float[] sample = floats(r, t.sample());
            int width = t.request().width();
            statistics.get(t.request().tensor()).accept(shape[0], floats(r, t.min()), floats(r, t.max()),
                    floats(r, t.absSum()), sample, sample.length / width, t.gram() == null ? null : floats(r, t.gram()));
        }
        for (RangeOutputs o : rangeOutputs) {
            float[] range = ranges.get(o.tensor());
            range[0] = Math.min(range[0], floats(r, o.min())[0]);
            range[1] = Math.max(range[1], floats(r, o.max())[0]);
        }
        for (SnapshotOutputs s : wanted) {
            long[] shape = longs(r, s.shape());
            if (shape[0] != batch) {
                // the tensor is not batch-major (e.g. flattened tokens): no whole-sequence snapshots for this block
                snapshots.get(s.request().tensor()).clear();
                snapshotOutputs.remove(s);
                continue;
            }
            Map<String, CapturedTensor> captured = new LinkedHashMap<>();
            captured.put(s.request().tensor(), CapturedTensor.of(tensor(r, s.item())));
            for (String in : s.request().graphInputs()) {
                captured.put(in, CapturedTensor.item(inputs.get(in), item));
            }
            List<BlockSnapshot> list = snapshots.get(s.request().tensor());
            BlockSnapshot snap = new BlockSnapshot(captured);
            if (list.size() < settings.snapshots()) {
                list.add(snap);
            } else {
                list.set((int) random.nextLong(list.size()), snap);
            }
        }
    }

    public CalibrationData result() {
        Map<String, List<BlockSnapshot>> snaps = new TreeMap<>();
        snapshots.forEach((k, v) -> snaps.put(k, List.copyOf(v)));
        MessageDigest copy;
        try {
            copy = (MessageDigest) digest.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
        Map<String, float[]> rangesCopy = new TreeMap<>();
        ranges.forEach((k, v) -> rangesCopy.put(k, v.clone()));
        return new CalibrationData(Map.copyOf(statistics), snaps, Map.copyOf(rangesCopy), batches,
                HexFormat.of().formatHex(copy.digest()));
    }

    public long batches() {
        return batches;
    }

    private void fingerprint(Map<String, OnnxTensor> inputs) {
        for (var e : new TreeMap<>(inputs).entrySet()) {
            digest.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (long d : e.getValue().getInfo().getShape()) {
                digest.update(ByteBuffer.allocate(8).putLong(d).array());
            }
            ByteBuffer b = e.getValue().getByteBuffer();
            int n = b.remaining();
            int stride = Math.max(1, n / 65536);
            byte[] sample = new byte[(n + stride - 1) / stride];
            for (int i = 0, j = 0; i < n; i += stride, j++) {
                sample[j] = b.get(i);
            }
            digest.update(sample);
        }
    }

    private static long batchSize(Map<String, OnnxTensor> inputs) {
        for (OnnxTensor t : inputs.values()) {
            long[] s = t.getInfo().getShape();
            if (s.length > 0) {
                return s[0];
            }
        }
        return 1;
    }

    private static OnnxTensor tensor(OrtSession.Result r, String name) {
        OnnxValue v = r.get(name).orElseThrow(() -> new IllegalStateException("calibration output " + name + " missing"));
        return (OnnxTensor) v;
    }

    private static float[] floats(OrtSession.Result r, String name) {
        FloatBuffer b = tensor(r, name).getFloatBuffer();
        float[] f = new float[b.remaining()];
        b.get(f);
        return f;
    }

    private static long[] longs(OrtSession.Result r, String name) {
        LongBuffer b = tensor(r, name).getLongBuffer();
        long[] l = new long[b.remaining()];
        b.get(l);
        return l;
    }

    @Override
    public void close() {
        session.close();
    }

    /** The model this collector observes. */
    public ModelProto model() {
        return original;
    }
}
