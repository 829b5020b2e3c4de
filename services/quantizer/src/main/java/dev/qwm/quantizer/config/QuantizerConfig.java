package dev.qwm.quantizer.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** The quantizer's knobs ({@code quantizer.*} in application.properties). */
@ConfigMapping(prefix = "quantizer")
public interface QuantizerConfig {

    /** Root of the artifact store: one folder per quantized bundle, named by its content key. */
    String artifactsRoot();

    /** Dataset folders per environment, for environments whose calibration goals come from data (PushT). */
    Map<String, String> datasets();

    Jobs jobs();

    Calibration calibration();

    Emit emit();

    Readiness readiness();

    interface Jobs {
        /** Jobs that quantize at the same time; quantization is CPU-heavy, so one by default. */
        @WithDefault("1")
        int concurrency();

        /** Jobs that may wait for a free slot; a submission beyond this is refused (RESOURCE_EXHAUSTED / 503). */
        @WithDefault("32")
        int maxQueued();

        /** Finished jobs kept in memory; older ones are still answered from the artifact store when they succeeded. */
        @WithDefault("1000")
        int retained();

        /** ONNX Runtime intra-op threads of the calibration runs and error measurements. */
        @WithDefault("1")
        int intraOpThreads();

        /** How old an unfinished temporary bundle folder must be before startup removes it (a crashed job's). */
        @WithDefault("1h")
        Duration partialMaxAge();
    }

    /** The planner budget of calibration episodes: DINO-WM's for the environment, unless overridden here. */
    interface Calibration {
        /** CEM candidates per step (default 300). */
        Optional<Integer> samples();

        /** CEM steps per plan (default: wall 10, pusht 30). */
        Optional<Integer> optSteps();
    }

    /**
     * How quantized layers are written (see dev.qwm.quant.emit.EmitOptions): kernel variants only; what a layer
     * computes, including int8 activations inside MatMulNBits, is the recipe's.
     */
    interface Emit {
        /** Storage of 8-bit weights that meet 8-bit activations: u8s8 (the same file on every CPU) or u8u8. */
        @WithDefault("u8s8")
        String int8();
    }

    interface Readiness {
        /** How long readiness waits for the broker to describe its cluster. */
        @WithDefault("2s")
        Duration brokerTimeout();
    }
}
