package dev.qwm.collector.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The collector's own knobs ({@code collector.*} in application.properties). */
@ConfigMapping(prefix = "collector")
public interface CollectorConfig {

    Readiness readiness();

    Storage storage();

    interface Readiness {
        /** How long the readiness check waits for the broker to describe its cluster. */
        @WithDefault("2s")
        Duration brokerTimeout();
    }

    interface Storage {
        /** First wait after a transient database failure; doubled per retry up to {@link #retryMaxBackoff()}. */
        @WithDefault("200ms")
        Duration retryInitialBackoff();

        @WithDefault("10s")
        Duration retryMaxBackoff();
    }
}
