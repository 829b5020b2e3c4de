package dev.qwm.predictor.client;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.RunEnvironment;
import dev.qwm.api.common.v1.Tensor;

/** Where the visual latents of observations come from: the encoder service, in production. */
public interface VisualLatents {

    /**
     * Latents {@code [frames, patches, dim]}, flattened, and where they were computed ({@code ranOn}: null when the
     * encoder did not say).
     */
    record Encoded(float[] values, int frames, int patches, int dim, RunEnvironment ranOn) {
    }

    /**
     * Encodes uint8 RGB images {@code [frames, H, W, 3]} with the encoder artifact {@code encoder}, in one call.
     *
     * @throws IllegalArgumentException if the encoder refuses the reference or the images
     * @throws io.grpc.StatusRuntimeException UNAVAILABLE if the encoder cannot be reached
     */
    Encoded encode(ArtifactRef encoder, Tensor images);

    /** Null if the encoder answers now, else why not (readiness). */
    String unreachableReason();
}
