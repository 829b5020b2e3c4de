package dev.qwm.cli.options;

import dev.qwm.onnx.runtime.SessionConfig;
import picocli.CommandLine.Option;

/** {@code --threads}: ONNX Runtime intra-op threads of each model a command opens. */
public final class OrtThreadsOption {

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads per model (default: ${DEFAULT-VALUE}).")
    int threads;

    public SessionConfig sessionConfig() {
        return SessionConfig.ofThreads(threads);
    }
}
