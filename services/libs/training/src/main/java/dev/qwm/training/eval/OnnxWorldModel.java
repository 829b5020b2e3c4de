package dev.qwm.training.eval;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.SessionConfig;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * The four ONNX components of a bundle in ONNX Runtime, called with plain arrays. This is what the training
 * module measures the exported model with (open-loop error, latent distances, CEM cost); the planner has its own
 * batched backend.
 */
public final class OnnxWorldModel implements AutoCloseable {

    private final BundleManifest manifest;
    private final OnnxSession visual;
    private final OnnxSession proprio;
    private final OnnxSession action;
    private final OnnxSession predictor;

    public OnnxWorldModel(ModelBundle bundle, SessionConfig config) {
        this.manifest = bundle.manifest();
        visual = OrtRuntime.open(bundle.componentPath(BundleManifest.VISUAL_ENCODER), config);
        proprio = OrtRuntime.open(bundle.componentPath(BundleManifest.PROPRIO_ENCODER), config);
        action = OrtRuntime.open(bundle.componentPath(BundleManifest.ACTION_ENCODER), config);
        predictor = OrtRuntime.open(bundle.componentPath(BundleManifest.PREDICTOR), config);
    }

    public BundleManifest manifest() {
        return manifest;
    }

    /** uint8 images [B,H,W,3] to latents [B,N,D]. */
    public float[] encode(byte[] images, int batch) {
        int s = manifest.imageSize();
        ByteBuffer buf = OrtRuntime.directBytes(images.length).put(images);
        buf.rewind();
        try (OnnxTensor in = OnnxTensor.createTensor(OrtRuntime.environment(), buf, new long[] {batch, s, s, 3},
                OnnxJavaType.UINT8)) {
            return run(visual, "images", in, "latents");
        } catch (OrtException e) {
            throw new IllegalStateException("cannot create image tensor: " + e.getMessage(), e);
        }
    }

    /** Raw proprio [B,T,P] to embeddings [B,T,10]. */
    public float[] embedProprio(float[] raw, int batch, int frames) {
        return runFloat(proprio, "proprio", raw, new long[] {batch, frames, manifest.proprioDim()}, "proprio_emb");
    }

    /** Normalised macro actions [B,T,A] to embeddings [B,T,10]. */
    public float[] embedAction(float[] normalized, int batch, int frames) {
        return runFloat(action, "actions", normalized, new long[] {batch, frames, manifest.actionDim()}, "action_emb");
    }

    /** Tokens [B,T,N,E] to predictions [B,T,N,E]. */
    public float[] predict(float[] z, int batch, int frames) {
        return runFloat(predictor, "z", z, new long[] {batch, frames, manifest.numPatches(), manifest.tokenDim()}, "z_pred");
    }

    private static float[] runFloat(OnnxSession s, String input, float[] data, long[] shape, String output) {
        FloatBuffer buf = OrtRuntime.directFloats(data.length).put(data);
        buf.rewind();
        try (OnnxTensor in = OnnxTensor.createTensor(OrtRuntime.environment(), buf, shape)) {
            return run(s, input, in, output);
        } catch (OrtException e) {
            throw new IllegalStateException("cannot create tensor for " + input + ": " + e.getMessage(), e);
        }
    }

    private static float[] run(OnnxSession s, String input, OnnxTensor in, String output) {
        try (OrtSession.Result r = s.run(Map.of(input, in))) {
            FloatBuffer fb = ((OnnxTensor) r.get(output).orElseThrow(
                    () -> new IllegalStateException(s.label() + " has no output " + output))).getFloatBuffer();
            float[] out = new float[fb.remaining()];
            fb.get(out);
            return out;
        }
    }

    @Override
    public void close() {
        visual.close();
        proprio.close();
        action.close();
        predictor.close();
    }
}
