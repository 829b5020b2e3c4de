package dev.qwm.encoder.inference;

import dev.qwm.planning.onnx.OnnxVisualEncoder;
import dev.qwm.onnx.serving.LoadedArtifacts;
import java.nio.ByteBuffer;

/** One visual-encoder artifact held by this service, with the bundle it came from. */
public final class LoadedEncoder implements LoadedArtifacts.Artifact {

    private final OnnxVisualEncoder encoder;
    private final String bundle;

    LoadedEncoder(OnnxVisualEncoder encoder, String bundle) {
        this.encoder = encoder;
        this.bundle = bundle;
    }

    @Override
    public String sha256() {
        return encoder.sha256();
    }

    @Override
    public String bundle() {
        return bundle;
    }

    @Override
    public String label() {
        return encoder.manifest().name();
    }

    public int imageSize() {
        return encoder.imageSize();
    }

    public int numPatches() {
        return encoder.numPatches();
    }

    public int latentDim() {
        return encoder.latentDim();
    }

    /** {@code batch*N*D} latents of {@code batch} images given as {@code batch*H*W*3} bytes. */
    public float[] encode(ByteBuffer images, int batch) {
        return encoder.encode(images, batch);
    }

    /** Runs one blank image through the session, so that the first real request does not pay for ORT's setup. */
    void warm() {
        encode(ByteBuffer.allocate(imageSize() * imageSize() * 3), 1);
    }

    @Override
    public void close() {
        encoder.close();
    }
}
