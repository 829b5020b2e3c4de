package dev.qwm.onnx.runtime;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;

/**
 * How an ONNX Runtime session runs. On this project's 2-core machines one intra-op thread without spin-waiting is
 * the stable choice (ORT's spinning pool degrades badly when cores are shared), hence the defaults.
 *
 * @param intraOpThreads threads inside one operator (1 = the calling thread only)
 * @param interOpThreads threads across independent operators (1 = sequential execution)
 * @param allowSpinning  let idle pool threads spin (only worth it on dedicated cores)
 * @param optimization   graph optimisation level
 * @param provider       the execution provider (CPU unless a service is configured for CUDA)
 * @param profilePrefix  where ORT's profiler writes its trace ({@code PREFIX_<date>.json}, when the session is
 *                       closed; read it with {@link OrtProfile}), or null: no profiling (the default; it costs time)
 */
public record SessionConfig(int intraOpThreads, int interOpThreads, boolean allowSpinning, OptLevel optimization,
                            ExecutionProvider provider, java.nio.file.Path profilePrefix) {

    /** System properties read by {@link #fromSystemProperties()}. */
    public static final String INTRA_OP_PROPERTY = "qwm.ort.intraOpThreads";
    public static final String INTER_OP_PROPERTY = "qwm.ort.interOpThreads";
    public static final String SPINNING_PROPERTY = "qwm.ort.allowSpinning";
    /** Environment variable giving the intra-op thread count when the property is not set. */
    public static final String INTRA_OP_ENV = "QWM_ORT_THREADS";

    public SessionConfig {
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
        }
        if (interOpThreads < 1) {
            throw new IllegalArgumentException("interOpThreads must be >= 1, got " + interOpThreads);
        }
        if (optimization == null) {
            throw new IllegalArgumentException("optimization level is missing");
        }
        if (provider == null) {
            throw new IllegalArgumentException("execution provider is missing");
        }
    }

    /** One thread, no spinning, all optimisations: reproducible timings on shared cores. */
    public static SessionConfig singleThreaded() {
        return new SessionConfig(1, 1, false, OptLevel.ALL_OPT, ExecutionProvider.CPU, null);
    }

    public static SessionConfig ofThreads(int intraOpThreads) {
        return new SessionConfig(intraOpThreads, 1, false, OptLevel.ALL_OPT, ExecutionProvider.CPU, null);
    }

    /**
     * The config from {@code -Dqwm.ort.intraOpThreads}, {@code -Dqwm.ort.interOpThreads},
     * {@code -Dqwm.ort.allowSpinning}, falling back to {@code QWM_ORT_THREADS} and then to {@link #singleThreaded()}.
     */
    public static SessionConfig fromSystemProperties() {
        String env = System.getenv(INTRA_OP_ENV);
        int intra = intSetting(INTRA_OP_PROPERTY, System.getProperty(INTRA_OP_PROPERTY, env == null ? "1" : env));
        int inter = intSetting(INTER_OP_PROPERTY, System.getProperty(INTER_OP_PROPERTY, "1"));
        boolean spin = Boolean.parseBoolean(System.getProperty(SPINNING_PROPERTY, "false"));
        return new SessionConfig(intra, inter, spin, OptLevel.ALL_OPT, ExecutionProvider.CPU, null);
    }

    public SessionConfig withIntraOpThreads(int threads) {
        return new SessionConfig(threads, interOpThreads, allowSpinning, optimization, provider, profilePrefix);
    }

    /** The same settings with ORT's profiler on, writing its trace to {@code prefix_<date>.json} at close. */
    public SessionConfig withProfiling(java.nio.file.Path prefix) {
        return new SessionConfig(intraOpThreads, interOpThreads, allowSpinning, optimization, provider, prefix);
    }

    public SessionConfig withProvider(ExecutionProvider newProvider) {
        return new SessionConfig(intraOpThreads, interOpThreads, allowSpinning, optimization, newProvider, profilePrefix);
    }

    private static int intSetting(String name, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got \"" + value + "\"");
        }
    }
}
