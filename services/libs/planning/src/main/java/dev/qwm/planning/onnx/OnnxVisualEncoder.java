package dev.qwm.planning.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.OnnxRuntimeException;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.kernel.KernelChoice;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.SessionConfig;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;

/**
 * A bundle's visual encoder in ONNX Runtime: uint8 RGB images {@code [B,H,W,3]} to patch latents {@code [B,N,D]}.
 * The encoder service serves these; the in-process world model uses one directly. ORT sessions may be shared
 * by concurrent callers.
 */
public final class OnnxVisualEncoder implements AutoCloseable {

    static final String IMAGES = "images";
    static final String LATENTS = "latents";

    private final BundleManifest manifest;
    private final String sha256;
    private final OnnxSession session;

    private OnnxVisualEncoder(ModelBundle bundle, SessionConfig config) {
        this.manifest = bundle.manifest();
        this.sha256 = manifest.components().get(BundleManifest.VISUAL_ENCODER).sha256();
        // the kernel variants measured fastest on this CPU among those computing the same numbers
        OnnxSession s = KernelChoice.open(bundle.componentPath(BundleManifest.VISUAL_ENCODER), config);
        try {
            s.requireSignature(Set.of(IMAGES), Set.of(LATENTS));
            Shapes.check(manifest, s, IMAGES, true, -1, manifest.imageSize(), manifest.imageSize(), 3);
            Shapes.check(manifest, s, LATENTS, false, -1, manifest.numPatches(), manifest.latentDim());
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        this.session = s;
    }

    public static OnnxVisualEncoder open(ModelBundle bundle, SessionConfig config) {
        return new OnnxVisualEncoder(bundle, config);
    }

    public BundleManifest manifest() {
        return manifest;
    }

    /** The sha256 of the encoder's ONNX file: the artifact's identity. */
    public String sha256() {
        return sha256;
    }

    public int imageSize() {
        return manifest.imageSize();
    }

    public int numPatches() {
        return manifest.numPatches();
    }

    public int latentDim() {
        return manifest.latentDim();
    }

    /**
     * Encodes {@code batch} images given as {@code batch*H*W*3} bytes (a direct buffer avoids one copy).
     *
     * @return {@code batch*N*D} latents
     */
    public float[] encode(ByteBuffer images, int batch) {
        int s = manifest.imageSize();
        long expected = (long) batch * s * s * 3;
        if (batch < 1 || images.remaining() != expected) {
            throw new IllegalArgumentException("encoder " + manifest.name() + " expects " + batch + " images of "
                    + s + "x" + s + "x3 bytes (" + expected + " bytes), got " + images.remaining() + " bytes");
        }
        ByteBuffer direct = images.isDirect() ? images : OrtRuntime.directBytes(images.remaining()).put(images).flip();
        try (OnnxTensor input = OnnxTensor.createTensor(OrtRuntime.environment(), direct,
                new long[] {batch, s, s, 3}, OnnxJavaType.UINT8);
             OrtSession.Result r = session.run(Map.of(IMAGES, input))) {
            return Shapes.floats(r, LATENTS, batch * manifest.numPatches() * manifest.latentDim(), session);
        } catch (OrtException e) {
            throw new OnnxRuntimeException(session.label() + ": " + e.getMessage(), e);
        }
    }

    /** Encodes one {@code H*W*3} image. */
    public float[] encode(byte[] image) {
        return encode(ByteBuffer.wrap(image), 1);
    }

    @Override
    public void close() {
        session.close();
    }
}
