package dev.qwm.encoder.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.List;
import java.util.Optional;

/** The encoder service's knobs ({@code encoder.*} in application.properties). */
@ConfigMapping(prefix = "encoder")
public interface EncoderConfig {

    /** Bundle folders whose visual encoder is loaded and warmed at startup; readiness waits for them. */
    Optional<List<String>> preload();

    /** Encoder artifacts kept loaded at once; the least recently used is closed beyond this. */
    @WithDefault("8")
    int maxLoaded();

    /** Largest batch one Encode call may carry. */
    @WithDefault("1024")
    int maxBatch();

    /** ONNX Runtime intra-op threads per session. */
    @WithDefault("1")
    int intraOpThreads();

    /** ONNX Runtime execution provider: cpu, or cuda (needs the -gpu image, which carries onnxruntime_gpu). */
    @WithDefault("cpu")
    String executionProvider();
}
