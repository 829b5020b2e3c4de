package dev.qwm.servicesupport;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * Up only while the Kafka broker answers: asks it to describe its cluster at every probe, and says down within
 * {@code timeout} when it does not (Quarkus' own Kafka check waits as long as the admin client's default API
 * timeout, a minute, which a readiness probe cannot). A service that needs the broker declares it as its
 * {@code @Readiness} bean, with its own timeout, and closes it when it stops.
 */
public class KafkaBrokerReadinessCheck implements HealthCheck, AutoCloseable {

    public static final String NAME = "Kafka broker";

    private final String bootstrapServers;
    private final Duration timeout;
    private final String clientId;
    private Admin admin;

    /** @param clientId how the broker sees this check, e.g. {@code qwm-collector-readiness} */
    public KafkaBrokerReadinessCheck(String bootstrapServers, Duration timeout, String clientId) {
        this.bootstrapServers = bootstrapServers;
        this.timeout = timeout;
        this.clientId = clientId;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME)
                .withData("bootstrap.servers", bootstrapServers);
        try {
            Collection<Node> nodes = admin().describeCluster(new DescribeClusterOptions()
                            .timeoutMs((int) timeout.toMillis()))
                    .nodes()
                    .get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS);
            return response.up().withData("brokers", nodes.size()).build();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return response.down().withData("error", cause.getClass().getSimpleName() + ": " + cause.getMessage())
                    .build();
        } catch (TimeoutException e) {
            return response.down().withData("error", "no answer within " + timeout.toMillis() + " ms").build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return response.down().withData("error", "interrupted").build();
        }
    }

    /**
     * The id of the cluster the broker belongs to (a broker formatted afresh has a new one), or empty when the broker
     * does not answer within the timeout.
     */
    public java.util.Optional<String> clusterId() {
        try {
            return java.util.Optional.ofNullable(admin().describeCluster(new DescribeClusterOptions()
                    .timeoutMs((int) timeout.toMillis())).clusterId().get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS));
        } catch (ExecutionException | TimeoutException e) {
            return java.util.Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.Optional.empty();
        }
    }

    // One admin client for the service's life: it reconnects by itself when the broker comes back.
    private synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    AdminClientConfig.CLIENT_ID_CONFIG, clientId,
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
                    // at most one connection attempt per second to a broker that is down
                    AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000));
        }
        return admin;
    }

    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(1));
            admin = null;
        }
    }
}
