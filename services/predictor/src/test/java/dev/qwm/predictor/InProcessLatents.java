package dev.qwm.predictor;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.Tensor;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.RunEnvironment;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.predictor.service.RolloutService;
import dev.qwm.planning.onnx.OnnxVisualEncoder;
import dev.qwm.predictor.client.VisualLatents;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Visual latents from real ONNX encoders in this process, one batched call per request as the encoder service makes
 * it: the plain tests of the session logic need no encoder process (the Quarkus test runs the real one).
 */
public final class InProcessLatents implements VisualLatents, AutoCloseable {

    private final Map<String, OnnxVisualEncoder> encoders = new HashMap<>();
    public volatile int calls;

    @Override
    public synchronized Encoded encode(ArtifactRef ref, Tensor images) {
        calls++;
        OnnxVisualEncoder encoder = encoders.computeIfAbsent(ref.getBundle(),
                b -> OnnxVisualEncoder.open(ModelBundle.read(Path.of(b)), SessionConfig.singleThreaded()));
        int frames = (int) images.getShape(0);
        float[] latents = encoder.encode(images.getData().asReadOnlyByteBuffer(), frames);
        return new Encoded(latents, frames, encoder.numPatches(), encoder.latentDim(),
                RolloutService.ranOn(RunEnvironment.of(SessionConfig.singleThreaded())));
    }

    @Override
    public String unreachableReason() {
        return null;
    }

    @Override
    public synchronized void close() {
        encoders.values().forEach(OnnxVisualEncoder::close);
    }
}
