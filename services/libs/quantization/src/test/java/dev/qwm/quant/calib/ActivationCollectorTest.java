package dev.qwm.quant.calib;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.qwm.onnx.graph.GraphEditor;
import dev.qwm.onnx.graph.LinearLayer;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.quant.core.LinearAlgebra;
import dev.qwm.quant.recipe.CalibrationSettings;
import dev.qwm.quant.testing.TestModels;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActivationCollectorTest {

    static final int WIDTH = 48;
    static final int HIDDEN = 96;

    static CalibrationSettings settings(int rowsPerTensor, int rowsPerBatch, int snapshots) {
        return new CalibrationSettings(null, null, null, null, null, rowsPerTensor, rowsPerBatch, snapshots, 7L);
    }

    /** Runs the model with the named intermediate tensors as outputs: the values the collector should summarise. */
    static Map<String, float[]> intermediates(ModelProto model, float[] x, long[] shape, List<String> names) throws Exception {
        GraphEditor e = GraphEditor.of(model);
        names.forEach(e::addOutput);
        try (var s = OrtRuntime.open(e.build().toByteArray(), "probe", SessionConfig.singleThreaded());
             OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(), FloatBuffer.wrap(x), shape);
             OrtSession.Result r = s.run(Map.of("X", t))) {
            Map<String, float[]> out = new java.util.HashMap<>();
            for (String n : names) {
                FloatBuffer b = ((OnnxTensor) r.get(n).get()).getFloatBuffer();
                float[] f = new float[b.remaining()];
                b.get(f);
                out.put(n, f);
            }
            return out;
        }
    }

    @Test
    void statisticsMatchTheActivationsAndModelOutputsAreUnchanged() throws Exception {
        var block = TestModels.mlpBlock(WIDTH, HIDDEN, 10f, 3);
        ModelProto model = TestModels.mlpModel(block, TestModels.mlpBlock(WIDTH, HIDDEN, 1f, 4));
        List<LinearLayer> layers = LinearLayer.findAll(model);
        List<ActivationCollector.TensorRequest> requests = layers.stream()
                .map(l -> new ActivationCollector.TensorRequest(l.inputName(), l.inFeatures(), true)).toList();
        String blockInput = layers.get(2).inputName(); // fc1 input of block 1 (LN output): batch-major [B, T, W]
        long[] shape = {3, 5, WIDTH};
        int rowsPerCall = 15;
        List<float[]> batches = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            batches.add(TestModels.inputs(rowsPerCall, WIDTH, 100 + i));
        }
        // reservoir large enough to keep every sampled row, so H must equal Σ over the reservoir rows
        try (ActivationCollector c = new ActivationCollector(model, requests,
                List.of(new ActivationCollector.SnapshotRequest(blockInput, Set.of("X"))), settings(1000, 32, 2),
                SessionConfig.singleThreaded())) {
            for (float[] x : batches) {
                try (OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(), FloatBuffer.wrap(x), shape);
                     OrtSession.Result r = c.run(Map.of("X", t))) {
                    FloatBuffer fb = ((OnnxTensor) r.get("Y").get()).getFloatBuffer();
                    float[] yc = new float[fb.remaining()];
                    fb.get(yc);
                    assertArrayEquals(dev.qwm.quant.testing.Ort.run(model, "X", x, shape), yc, "model output must be unchanged");
                }
            }
            CalibrationData data = c.result();
            assertEquals(4, data.batches());
            for (LinearLayer l : layers) {
                TensorStatistics s = data.tensor(l.inputName());
                float[] min = new float[l.inFeatures()];
                float[] max = new float[l.inFeatures()];
                Arrays.fill(min, Float.POSITIVE_INFINITY);
                Arrays.fill(max, Float.NEGATIVE_INFINITY);
                double[] absSum = new double[l.inFeatures()];
                for (float[] x : batches) {
                    float[] a = intermediates(model, x, shape, List.of(l.inputName())).get(l.inputName());
                    for (int i = 0; i < a.length; i++) {
                        int ch = i % l.inFeatures();
                        min[ch] = Math.min(min[ch], a[i]);
                        max[ch] = Math.max(max[ch], a[i]);
                        absSum[ch] += Math.abs(a[i]);
                    }
                }
                assertArrayEquals(min, s.channelMin(), l.name());
                assertArrayEquals(max, s.channelMax(), l.name());
                assertEquals(4L * rowsPerCall, s.rows());
                float[] meanAbs = s.channelMeanAbs();
                for (int ch = 0; ch < l.inFeatures(); ch++) {
                    assertEquals(absSum[ch] / (4 * rowsPerCall), meanAbs[ch], 1e-4 * (1 + meanAbs[ch]));
                }
                assertEquals(4 * 32, s.sampledRowCount());
                double[] fromReservoir = new double[l.inFeatures() * l.inFeatures()];
                LinearAlgebra.accumulateGram(fromReservoir, s.sampledRows(), s.sampledRowCount(), l.inFeatures());
                double[] gram = s.gram();
                for (int i = 0; i < gram.length; i++) {
                    assertEquals(fromReservoir[i], gram[i], 1e-3 * (1 + Math.abs(gram[i])));
                }
                // every sampled row is a real row of the activations
                float[] all = new float[0];
                for (float[] x : batches) {
                    float[] a = intermediates(model, x, shape, List.of(l.inputName())).get(l.inputName());
                    float[] merged = Arrays.copyOf(all, all.length + a.length);
                    System.arraycopy(a, 0, merged, all.length, a.length);
                    all = merged;
                }
                float[] sampled = s.sampledRows();
                int w = l.inFeatures();
                outer:
                for (int r = 0; r < s.sampledRowCount(); r++) {
                    for (int q = 0; q < all.length / w; q++) {
                        if (Arrays.equals(sampled, r * w, (r + 1) * w, all, q * w, (q + 1) * w)) {
                            continue outer;
                        }
                    }
                    throw new AssertionError("sampled row " + r + " of " + l.name() + " is not an activation row");
                }
            }
            List<BlockSnapshot> snaps = data.snapshots().get(blockInput);
            assertEquals(2, snaps.size());
            for (BlockSnapshot snap : snaps) {
                CapturedTensor item = snap.inputs().get(blockInput);
                CapturedTensor xItem = snap.inputs().get("X");
                assertArrayEquals(new long[]{1, 5, WIDTH}, item.shape());
                // the snapshot's block input is what the model computes from the snapshot's own graph input
                float[] recomputed = intermediates(model, xItem.floats(), xItem.shape(), List.of(blockInput)).get(blockInput);
                assertArrayEquals(recomputed, item.floats(), 1e-5f);
            }
            assertEquals(64, data.fingerprint().length());
        }
    }

    @Test
    void fingerprintIdentifiesTheCalibrationSet() throws Exception {
        ModelProto model = TestModels.mlpModel(TestModels.mlpBlock(WIDTH, HIDDEN, 1f, 1));
        String a = fingerprint(model, 1);
        assertEquals(a, fingerprint(model, 1));
        assertNotEquals(a, fingerprint(model, 2));
    }

    static String fingerprint(ModelProto model, long seed) throws Exception {
        LinearLayer l = LinearLayer.findAll(model).get(0);
        try (ActivationCollector c = new ActivationCollector(model, List.of(new ActivationCollector.TensorRequest(l.inputName(), WIDTH, false)),
                List.of(), settings(64, 8, 1), SessionConfig.singleThreaded());
             OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(), FloatBuffer.wrap(TestModels.inputs(4, WIDTH, seed)), new long[]{2, 2, WIDTH})) {
            c.observe(Map.of("X", t));
            return c.result().fingerprint();
        }
    }

    @Test
    void transformedStatisticsAreThoseOfTheTransformedRows() {
        int w = 6;
        TensorStatistics s = new TensorStatistics("x", w, 100, true, 1);
        float[] x = TestModels.inputs(40, w, 9);
        s.acceptRows(x, 40);
        float[] scale = {1f, 2f, 0.5f, 4f, 1.5f, 3f};
        float[] shift = {0.1f, -0.2f, 0.3f, 0f, 1f, -1f};
        TensorStatistics t = s.transformed(scale, shift);
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (x[i] - shift[i % w]) / scale[i % w];
        }
        TensorStatistics direct = new TensorStatistics("y", w, 100, true, 1);
        direct.acceptRows(y, 40);
        assertArrayEquals(direct.channelMin(), t.channelMin(), 1e-6f);
        assertArrayEquals(direct.channelMax(), t.channelMax(), 1e-6f);
        double[] g1 = direct.gram();
        double[] g2 = t.gram();
        for (int i = 0; i < g1.length; i++) {
            assertEquals(g1[i], g2[i], 1e-3 * (1 + Math.abs(g1[i])));
        }
        assertTrue(t.channelMeanAbs() == null, "Σ|x| is not kept through a shift");
        assertArrayEquals(direct.sampledRows(), t.sampledRows(), 1e-6f);
    }
}
