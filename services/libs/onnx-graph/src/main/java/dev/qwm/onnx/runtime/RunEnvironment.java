package dev.qwm.onnx.runtime;

import java.util.Locale;

/**
 * Where a number was measured: the CPU (model, class, vector features), the ONNX Runtime version, the execution
 * provider and the intra-op thread count. Recorded with every quantization, benchmark and planned episode, since
 * kernels, and so timings and the last bits of float results, depend on them.
 *
 * @param cpu               CPU model name
 * @param cpuClass          {@link CpuFeatures#cpuClass()}
 * @param cpuFeatures       {@link CpuFeatures#summary()}
 * @param onnxRuntime       ONNX Runtime version
 * @param executionProvider {@code cpu} or {@code cuda}
 * @param threads           ORT intra-op threads
 */
public record RunEnvironment(String cpu, String cpuClass, String cpuFeatures, String onnxRuntime,
                             String executionProvider, int threads) {

    /** This process with sessions configured by {@code config}. */
    public static RunEnvironment of(SessionConfig config) {
        return of(CpuFeatures.current(), config);
    }

    public static RunEnvironment of(CpuFeatures cpu, SessionConfig config) {
        return new RunEnvironment(cpu.model(), cpu.cpuClass(), cpu.summary(), onnxRuntimeVersion(),
                config.provider().name().toLowerCase(Locale.ROOT), config.intraOpThreads());
    }

    public static String onnxRuntimeVersion() {
        return OrtRuntime.environment().getVersion();
    }

    /** One line: "Intel Xeon ... (avx512-vnni), ONNX Runtime 1.29.0 cpu, 1 thread". */
    public String describe() {
        return String.format(Locale.ROOT, "%s (%s), ONNX Runtime %s %s, %d thread%s", cpu, cpuClass, onnxRuntime,
                executionProvider, threads, threads == 1 ? "" : "s");
    }
}
