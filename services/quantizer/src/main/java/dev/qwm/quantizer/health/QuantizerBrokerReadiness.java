package dev.qwm.quantizer.health;

import dev.qwm.quantizer.config.QuantizerConfig;
import dev.qwm.servicesupport.KafkaBrokerReadinessCheck;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the Kafka broker answers: a job succeeds only once its ArtifactCreated events are acknowledged. */
@Readiness
@Singleton
public class QuantizerBrokerReadiness extends KafkaBrokerReadinessCheck {

    public QuantizerBrokerReadiness(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                           QuantizerConfig config) {
        super(bootstrapServers, config.readiness().brokerTimeout(), "qwm-quantizer-readiness");
    }

    @PreDestroy
    void stop() {
        close();
    }
}
