package dev.qwm.onnx.runtime;

import java.util.Arrays;
import java.util.Locale;

/**
 * Where ONNX Runtime runs a session's kernels. CUDA needs ONNX Runtime's GPU build on the class path
 * ({@code com.microsoft.onnxruntime:onnxruntime_gpu}, the services' {@code -gpu} images) and a CUDA device; nodes
 * without a CUDA kernel fall back to the CPU.
 */
public enum ExecutionProvider {
    CPU, CUDA;

    /** {@code cpu} or {@code cuda} (any case). */
    public static ExecutionProvider parse(String text) {
        String t = text == null ? "" : text.trim().toUpperCase(Locale.ROOT);
        for (ExecutionProvider p : values()) {
            if (p.name().equals(t)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown execution provider '" + text + "'; use one of "
                + Arrays.stream(values()).map(p -> p.name().toLowerCase(Locale.ROOT)).toList());
    }
}
