package dev.qwm.training.export;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.qwm.training.model.Normalization;
import dev.qwm.training.model.DjlWorldModel;
import dev.qwm.training.model.WorldModelConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exported ONNX graphs compute what the DJL model computes, to 1e-4, for every component. */
class OnnxParityTest {

    static final float TOL = 1e-4f;
    static OrtEnvironment env;
    static NDManager manager;

    @BeforeAll
    static void setUp() {
        env = OrtEnvironment.getEnvironment();
        Engine.getInstance().setRandomSeed(7);
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static OrtSession session(byte[] model) throws Exception {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(1);
        o.setInterOpNumThreads(1);
        return env.createSession(model, o);
    }

    static float[] random(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    static float maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    static DjlWorldModel model(int numHist) {
        WorldModelConfig c = WorldModelConfig.small(4, numHist);
        Normalization norm = new Normalization(new float[] {200f, 250f, -3f, 2.5f}, new float[] {100f, 87f, 75f, 74f},
                new float[10], filled(10, 0.3f));
        DjlWorldModel m = DjlWorldModel.create(c, norm, manager);
        // Non-trivial LayerNorm affine parameters so that they are exercised too.
        SplittableRandom r = new SplittableRandom(3);
        for (var p : m.encoder().getParameters().values()) {
            if (p.getName().equals("gamma") || p.getName().equals("beta")) {
                NDArray a = p.getArray();
                a.set(random(r, (int) a.size(), 0.5));
                if (p.getName().equals("gamma")) {
                    a.addi(1f);
                }
            }
        }
        return m;
    }

    static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    @Test
    void visualEncoderMatchesOnRandomImages() throws Exception {
        DjlWorldModel m = model(1);
        WorldModelConfig c = m.config();
        int b = 3;
        byte[] pixels = new byte[b * c.imageSize() * c.imageSize() * 3];
        new SplittableRandom(11).nextBytes(pixels);
        float[] djl;
        try (NDManager sub = manager.newSubManager()) {
            NDArray img = sub.create(ByteBuffer.wrap(pixels), new Shape(b, c.imageSize(), c.imageSize(), 3), DataType.UINT8);
            djl = m.encode(new ParameterStore(sub, false), img).toFloatArray();
        }
        try (OrtSession s = session(OnnxExporter.visualEncoder(ModelWeights.of(m)));
             OnnxTensor in = OnnxTensor.createTensor(env, ByteBuffer.wrap(pixels),
                     new long[] {b, c.imageSize(), c.imageSize(), 3}, ai.onnxruntime.OnnxJavaType.UINT8);
             OrtSession.Result out = s.run(Map.of("images", in))) {
            OnnxTensor t = (OnnxTensor) out.get("latents").orElseThrow();
            assertArrayEquals(new long[] {b, c.numPatches(), c.latentDim()}, t.getInfo().getShape());
            float diff = maxAbsDiff(djl, toArray(t));
            assertTrue(diff < TOL, "max |DJL - ORT| = " + diff);
        }
    }

    @Test
    void visualEncoderMatchesOnRenderedWallFrames() throws Exception {
        // Real inputs: frames of the Wall environment (mostly white, a dot, black walls), not noise.
        DjlWorldModel m = model(1);
        WorldModelConfig c = m.config();
        dev.qwm.env.wall.WallEnvironment env = new dev.qwm.env.wall.WallEnvironment();
        SplittableRandom r = new SplittableRandom(12);
        int b = 6;
        int per = c.imageSize() * c.imageSize() * 3;
        byte[] pixels = new byte[b * per];
        for (int i = 0; i < b; i++) {
            double[] state = {8 + r.nextDouble() * 48, 8 + r.nextDouble() * 48};
            System.arraycopy(env.render(state, c.imageSize()), 0, pixels, i * per, per);
        }
        float[] djl;
        try (NDManager sub = manager.newSubManager()) {
            NDArray img = sub.create(ByteBuffer.wrap(pixels), new Shape(b, c.imageSize(), c.imageSize(), 3), DataType.UINT8);
            djl = m.encode(new ParameterStore(sub, false), img).toFloatArray();
        }
        try (OrtSession s = session(OnnxExporter.visualEncoder(ModelWeights.of(m)));
             OnnxTensor in = OnnxTensor.createTensor(env(), ByteBuffer.wrap(pixels),
                     new long[] {b, c.imageSize(), c.imageSize(), 3}, ai.onnxruntime.OnnxJavaType.UINT8);
             OrtSession.Result out = s.run(Map.of("images", in))) {
            float diff = maxAbsDiff(djl, toArray((OnnxTensor) out.get("latents").orElseThrow()));
            assertTrue(diff < TOL, "max |DJL - ORT| = " + diff);
        }
    }

    static OrtEnvironment env() {
        return env;
    }

    @Test
    void proprioAndActionEncodersMatch() throws Exception {
        DjlWorldModel m = model(3);
        WorldModelConfig c = m.config();
        SplittableRandom r = new SplittableRandom(5);
        int b = 4;
        int t = 3;
        float[] rawProprio = random(r, b * t * c.proprioDim(), 300);
        float[] actions = random(r, b * t * c.actionDim(), 2);
        float[] djlP;
        float[] djlA;
        try (NDManager sub = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(sub, false);
            djlP = m.embedProprio(ps, sub.create(m.normalization().normalizeProprio(rawProprio), new Shape(b, t, c.proprioDim())), false)
                    .toFloatArray();
            djlA = m.embedAction(ps, sub.create(actions, new Shape(b, t, c.actionDim())), false).toFloatArray();
        }
        ModelWeights w = ModelWeights.of(m);
        assertTrue(maxAbsDiff(djlP, run(OnnxExporter.proprioEncoder(w), "proprio", rawProprio,
                new long[] {b, t, c.proprioDim()}, "proprio_emb")) < TOL);
        assertTrue(maxAbsDiff(djlA, run(OnnxExporter.actionEncoder(w), "actions", actions,
                new long[] {b, t, c.actionDim()}, "action_emb")) < TOL);
    }

    @Test
    void predictorMatchesForEveryHistoryLength() throws Exception {
        DjlWorldModel m = model(3);
        WorldModelConfig c = m.config();
        byte[] onnx = OnnxExporter.predictor(ModelWeights.of(m));
        SplittableRandom r = new SplittableRandom(9);
        for (int t = 1; t <= c.numHist(); t++) {
            int b = 2;
            long[] shape = {b, t, c.numPatches(), c.tokenDim()};
            float[] z = random(r, b * t * c.numPatches() * c.tokenDim(), 1.5);
            float[] djl;
            try (NDManager sub = manager.newSubManager()) {
                djl = m.predict(new ParameterStore(sub, false), sub.create(z, new Shape(shape)), false).toFloatArray();
            }
            float diff = maxAbsDiff(djl, run(onnx, "z", z, shape, "z_pred"));
            assertTrue(diff < TOL, "T=" + t + ": max |DJL - ORT| = " + diff);
        }
    }

    @Test
    void predictorIsFrameCausal() throws Exception {
        // Changing frame 2 must not change the outputs of frames 0 and 1.
        DjlWorldModel m = model(3);
        WorldModelConfig c = m.config();
        byte[] onnx = OnnxExporter.predictor(ModelWeights.of(m));
        int per = c.numPatches() * c.tokenDim();
        float[] z = random(new SplittableRandom(1), 3 * per, 1);
        float[] z2 = z.clone();
        // A random change: a constant shift per token would vanish in LayerNorm.
        float[] delta = random(new SplittableRandom(2), per, 0.7);
        for (int i = 0; i < per; i++) {
            z2[2 * per + i] += delta[i];
        }
        long[] shape = {1, 3, c.numPatches(), c.tokenDim()};
        float[] a = run(onnx, "z", z, shape, "z_pred");
        float[] b = run(onnx, "z", z2, shape, "z_pred");
        for (int i = 0; i < 2 * per; i++) {
            assertEquals(a[i], b[i], 1e-6f);
        }
        assertTrue(maxAbsDiff(java.util.Arrays.copyOfRange(a, 2 * per, 3 * per),
                java.util.Arrays.copyOfRange(b, 2 * per, 3 * per)) > 1e-3f);
    }

    static float[] run(byte[] model, String input, float[] data, long[] shape, String output) throws Exception {
        try (OrtSession s = session(model);
             OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
             OrtSession.Result out = s.run(Map.of(input, in))) {
            OnnxTensor t = (OnnxTensor) out.get(output).orElseThrow();
            return toArray(t);
        }
    }

    static float[] toArray(OnnxTensor t) {
        FloatBuffer fb = t.getFloatBuffer();
        float[] a = new float[fb.remaining()];
        fb.get(a);
        return a;
    }
}
