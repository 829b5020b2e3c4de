package dev.qwm.collector;

import dev.qwm.infra.EmbeddedInfrastructure;
import dev.qwm.infra.ServiceProcess;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The packaged collector ({@code target/quarkus-app}) as its own process against the given broker and database,
 * so that a test can kill it (SIGKILL) or stop it (SIGTERM) as a crash or a deployment would.
 */
final class CollectorProcess implements AutoCloseable {

    private final ServiceProcess process;

    private CollectorProcess(ServiceProcess process) {
        this.process = process;
    }

    /**
     * Starts the collector and waits until it reports ready.
     *
     * @param config extra configuration, as -D system properties
     */
    static CollectorProcess start(EmbeddedInfrastructure infra, String name, Map<String, String> config) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("quarkus.datasource.jdbc.url", infra.jdbcUrl());
        properties.put("quarkus.datasource.username", infra.username());
        properties.put("quarkus.datasource.password", infra.password());
        properties.put("kafka.bootstrap.servers", infra.bootstrapServers());
        properties.putAll(config);
        return new CollectorProcess(ServiceProcess.packaged("collector", name, properties, Map.of(), Duration.ofSeconds(90)));
    }

    int port() {
        return process.port();
    }

    /** Status code and body of a GET on the collector's HTTP port. */
    HttpResponse<String> get(String path) {
        return process.get(path);
    }

    /** Sum of the Prometheus samples of {@code qwm_collector_events_total} with the given outcome. */
    double events(String outcome) {
        String body = get("/q/metrics").body();
        double sum = 0;
        for (String line : body.split("\n")) {
            if (line.startsWith("qwm_collector_events_total{") && line.contains("outcome=\"" + outcome + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** A crash: SIGKILL, no shutdown hook runs, nothing more is committed. */
    void kill() {
        process.kill();
    }

    /** An orderly stop: SIGTERM, Quarkus shuts down. */
    void stop() {
        process.stop();
    }

    @Override
    public void close() {
        process.close();
    }
}
