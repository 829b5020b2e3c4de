package dev.qwm.encoder.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.runtime.OrtRuntime;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Set;

/**
 * One visual-encoder artifact in ONNX Runtime: uint8 images {@code [B,H,W,3]} to latents {@code [B,N,D]}.
 * The session may be shared by concurrent calls.
 */
public final class LoadedEncoder implements AutoCloseable {

    private final String sha256;
    private final String bundle;
    private final String label;
    private final int imageSize;
    private final int numPatches;
    private final int latentDim;
    private final OnnxSession session;

    LoadedEncoder(String sha256, String bundle, BundleManifest manifest, OnnxSession session) {
        this.sha256 = sha256;
        this.bundle = bundle;
        this.label = manifest.name();
        this.imageSize = manifest.imageSize();
        this.numPatches = manifest.numPatches();
        this.latentDim = manifest.latentDim();
        this.session = session.requireSignature(Set.of("images"), Set.of("latents"));
    }

    public String sha256() {
        return sha256;
    }

    public String bundle() {
        return bundle;
    }

    public String label() {
        return label;
    }

    public int imageSize() {
        return imageSize;
    }

    public int numPatches() {
        return numPatches;
    }

    public int latentDim() {
        return latentDim;
    }

    /**
     * Encodes {@code batch} images given as {@code batch*H*W*3} bytes.
     *
     * @return latents, {@code batch*N*D} floats
     */
    public float[] encode(ByteBuffer images, int batch) {
        long expected = (long) batch * imageSize * imageSize * 3;
        if (images.remaining() != expected) {
            throw new IllegalArgumentException("encoder " + label + " expects " + batch + " images of " + imageSize + "x"
                    + imageSize + "x3 bytes (" + expected + " bytes), got " + images.remaining() + " bytes");
        }
        ByteBuffer direct = images.isDirect() ? images : OrtRuntime.directBytes(images.remaining()).put(images).flip();
        try (OnnxTensor input = OnnxTensor.createTensor(OrtRuntime.environment(), direct,
                new long[] {batch, imageSize, imageSize, 3}, ai.onnxruntime.OnnxJavaType.UINT8);
             OrtSession.Result result = session.run(Map.of("images", input))) {
            FloatBuffer out = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[] latents = new float[out.remaining()];
            out.get(latents);
            if (latents.length != batch * numPatches * latentDim) {
                throw new IllegalStateException("encoder " + label + " returned " + latents.length + " values; its"
                        + " manifest promises " + batch + "x" + numPatches + "x" + latentDim);
            }
            return latents;
        } catch (OrtException e) {
            throw new IllegalStateException("encoder " + label + ": " + e.getMessage(), e);
        }
    }

    /** Runs one blank image through the session, so that the first real request does not pay for ORT's setup. */
    void warm() {
        encode(ByteBuffer.allocate(imageSize * imageSize * 3), 1);
    }

    @Override
    public void close() {
        session.close();
    }
}
