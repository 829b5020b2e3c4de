package dev.qwm.training.eval;

import dev.qwm.planning.onnx.OnnxWorldModel;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.qwm.env.dataset.Episode;
import dev.qwm.training.data.Episodes;
import dev.qwm.training.model.DjlWorldModel;
import dev.qwm.training.model.WorldModelConfig;

import java.nio.ByteBuffer;

/**
 * Checks an exported bundle against the DJL model it came from on real data: the frames, proprio and actions of a
 * validation episode go through both, component by component, and the largest absolute difference is reported
 * (the training manifest records it; it must stay below 1e-4).
 */
public final class ExportParity {

    /** Largest |DJL − ORT| per component. */
    public record Result(double visual, double proprio, double action, double predictor) {
        public double max() {
            return Math.max(Math.max(visual, proprio), Math.max(action, predictor));
        }
    }

    private ExportParity() {
    }

    public static Result check(DjlWorldModel model, OnnxWorldModel onnx, Episode e) {
        WorldModelConfig c = model.config();
        int h = c.numHist();
        int fs = c.frameskip();
        int frames = Math.min(e.steps() / fs, 8);
        if (frames < 1) {
            throw new IllegalArgumentException("episode " + e.index() + " is shorter than one macro step");
        }
        int per = Episodes.frameBytes(e);
        byte[] images = new byte[frames * per];
        float[] proprio = new float[frames * c.proprioDim()];
        float[] actions = new float[frames * c.actionDim()];
        for (int i = 0; i < frames; i++) {
            Episodes.copyFrame(e, i * fs, images, i * per);
            System.arraycopy(e.proprio(), i * fs * c.proprioDim(), proprio, i * c.proprioDim(), c.proprioDim());
            System.arraycopy(model.normalization().normalizeAction(Episodes.macroAction(e, i * fs, fs)), 0, actions,
                    i * c.actionDim(), c.actionDim());
        }
        try (NDManager sub = model.manager().newSubManager()) {
            ParameterStore ps = new ParameterStore(sub, false);
            NDArray img = sub.create(ByteBuffer.wrap(images), new Shape(frames, c.imageSize(), c.imageSize(), 3),
                    DataType.UINT8);
            NDArray latents = model.encode(ps, img);
            float[] ortLatents = onnx.visualEncoder().encode(ByteBuffer.wrap(images), frames);
            double dv = maxAbsDiff(latents.toFloatArray(), ortLatents);

            NDArray pe = model.embedProprio(ps, sub.create(model.normalization().normalizeProprio(proprio),
                    new Shape(1, frames, c.proprioDim())), false);
            double dp = maxAbsDiff(pe.toFloatArray(), onnx.dynamics().embedProprio(proprio, 1, frames));
            NDArray ae = model.embedAction(ps, sub.create(actions, new Shape(1, frames, c.actionDim())), false);
            double da = maxAbsDiff(ae.toFloatArray(), onnx.dynamics().embedActions(actions, 1, frames));

            // Predictor on real tokens: windows of numHist consecutive frames.
            int windows = frames - h + 1;
            double dz = 0;
            for (int w = 0; w < windows; w++) {
                NDArray vis = latents.get("{}:{}", w, w + h).reshape(1, h, c.numPatches(), c.latentDim());
                NDArray z = model.tokens(vis, pe.get(":, {}:{}", w, w + h), ae.get(":, {}:{}", w, w + h));
                float[] djl = model.predict(ps, z, false).toFloatArray();
                dz = Math.max(dz, maxAbsDiff(djl, onnx.dynamics().predictTokens(z.toFloatArray(), 1, h)));
            }
            return new Result(dv, dp, da, dz);
        }
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalStateException("DJL and ONNX outputs differ in size: " + a.length + " vs " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
