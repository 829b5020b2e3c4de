package dev.qwm.collector.health;

import dev.qwm.collector.config.CollectorConfig;
import dev.qwm.servicesupport.KafkaBrokerReadinessCheck;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the Kafka broker answers. (The database side is Quarkus' own datasource readiness check.) */
@Readiness
@Singleton
public class CollectorBrokerReadiness extends KafkaBrokerReadinessCheck {

    public CollectorBrokerReadiness(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                           CollectorConfig config) {
        super(bootstrapServers, config.readiness().brokerTimeout(), "qwm-collector-readiness");
    }

    @PreDestroy
    void stop() {
        close();
    }
}
