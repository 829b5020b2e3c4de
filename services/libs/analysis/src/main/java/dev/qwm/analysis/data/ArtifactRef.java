package dev.qwm.analysis.data;

/**
 * A content-addressed model artifact as the collector names it: sha256 of the ONNX file, the component
 * ({@code encoder} or {@code predictor}), the bundle it lives in and a human-readable label.
 */
public record ArtifactRef(String sha256, String component, String bundle, String label) {

    public ArtifactRef {
        sha256 = sha256 == null ? "" : sha256;
        component = component == null ? "" : component;
        bundle = bundle == null ? "" : bundle;
        label = label == null ? "" : label;
    }

    public boolean isEmpty() {
        return sha256.isEmpty() && label.isEmpty();
    }
}
