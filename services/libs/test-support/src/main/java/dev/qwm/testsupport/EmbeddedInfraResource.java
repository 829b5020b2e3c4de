package dev.qwm.testsupport;

import dev.qwm.infra.EmbeddedInfrastructure;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Starts a real Kafka broker and a real PostgreSQL (the same pieces as {@code ./qwm infra up}) on random
 * loopback ports for a {@code @QuarkusTest}, and points the service at them:
 * {@code @QuarkusTestResource(EmbeddedInfraResource.class)}. The qwm topics exist when the service starts.
 */
public final class EmbeddedInfraResource implements QuarkusTestResourceLifecycleManager {

    private static volatile EmbeddedInfrastructure current;

    private EmbeddedInfrastructure infra;

    @Override
    public Map<String, String> start() {
        infra = EmbeddedInfrastructure.start();
        current = infra;
        return Map.of(
                "quarkus.datasource.jdbc.url", infra.jdbcUrl(),
                "quarkus.datasource.username", infra.username(),
                "quarkus.datasource.password", infra.password(),
                "kafka.bootstrap.servers", infra.bootstrapServers());
    }

    @Override
    public void stop() {
        if (infra != null) {
            infra.close();
        }
        current = null;
    }

    /** The running infrastructure, for tests that publish events or read rows themselves. */
    public static EmbeddedInfrastructure infrastructure() {
        EmbeddedInfrastructure infra = current;
        if (infra == null) {
            throw new IllegalStateException("EmbeddedInfraResource is not started: annotate the test with"
                    + " @QuarkusTestResource(EmbeddedInfraResource.class)");
        }
        return infra;
    }

    public static String bootstrapServers() {
        return infrastructure().bootstrapServers();
    }

    public static String jdbcUrl() {
        return infrastructure().jdbcUrl();
    }
}
