package dev.qwm.onnx.bundle;

import java.util.Locale;

/**
 * One ONNX file of a bundle as listed in {@code model.json}: its file name (relative to the bundle folder),
 * its sha256 (lower-case hex) and its size in bytes. Two bundles share a component when their sha256 agree.
 */
public record BundleComponent(String file, String sha256, long bytes) {

    public BundleComponent {
        if (file == null || file.isBlank()) {
            throw new BundleException("component file name is missing");
        }
        if (sha256 == null || !sha256.matches("(?i)[0-9a-f]{64}")) {
            throw new BundleException("component '" + file + "': sha256 must be 64 hex digits, got " + sha256);
        }
        if (bytes < 0) {
            throw new BundleException("component '" + file + "': bytes must be >= 0, got " + bytes);
        }
        sha256 = sha256.toLowerCase(Locale.ROOT);
    }
}
