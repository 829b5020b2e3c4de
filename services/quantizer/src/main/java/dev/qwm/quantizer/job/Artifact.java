package dev.qwm.quantizer.job;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.ModelComponent;

/**
 * One artifact of an output bundle: its visual encoder ({@link ModelComponent#MODEL_COMPONENT_ENCODER}) or its
 * predictor ({@link ModelComponent#MODEL_COMPONENT_PREDICTOR}), named by the sha256 of its ONNX file.
 *
 * @param file      the bundle component ({@code visual_encoder} or {@code predictor})
 * @param quantized whether the recipe rewrote it (otherwise it is the source's, same sha256)
 */
public record Artifact(ModelComponent component, String file, String sha256, String bundle, String label, long bytes,
                       boolean quantized) {

    public ArtifactRef ref() {
        return ArtifactRef.newBuilder().setComponent(component).setSha256(sha256).setBundle(bundle).setLabel(label).build();
    }
}
