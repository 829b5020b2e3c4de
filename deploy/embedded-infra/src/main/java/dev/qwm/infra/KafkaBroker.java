package dev.qwm.infra;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A real Kafka broker (KRaft, combined broker and controller) in its own JVM, started from the
 * {@code kafka_2.13} jars that the {@code qwm-kafka-broker} module resolves. Its own JVM keeps the
 * broker's kafka-clients apart from the services' (the Quarkus BOM manages an older one).
 *
 * <p>The data directory is formatted once and kept, so a restart finds the topics and records again.
 */
public final class KafkaBroker implements AutoCloseable {

    private static final String CLASSPATH_RESOURCE = "/dev/qwm/infra/kafka-broker.classpath";

    private final Path dataDir;
    private final int port;
    private final int controllerPort;
    private final Process process;

    private KafkaBroker(Path dataDir, int port, int controllerPort, Process process) {
        this.dataDir = dataDir;
        this.port = port;
        this.controllerPort = controllerPort;
        this.process = process;
    }

    /**
     * Starts a broker on 127.0.0.1 and waits until it answers an Admin request.
     *
     * @param dataDir kept between starts; holds {@code server.properties}, the log segments and {@code kafka.log}
     * @param port the client port (0: pick a free one)
     * @param controllerPort the KRaft controller port (0: pick a free one)
     */
    public static KafkaBroker start(Path dataDir, int port, int controllerPort, Duration timeout) {
        try {
            Files.createDirectories(dataDir);
            int clientPort = port == 0 ? Ports.free() : port;
            int quorumPort = controllerPort == 0 ? Ports.free() : controllerPort;
            Ports.requireFree(clientPort, "Kafka client port");
            Ports.requireFree(quorumPort, "Kafka controller port");

            Path logDir = dataDir.resolve("log");
            Path config = dataDir.resolve("server.properties");
            Files.writeString(config, serverProperties(logDir, clientPort, quorumPort), StandardCharsets.UTF_8);
            String classpath = brokerClasspath();
            Path log = dataDir.resolve("kafka.log");

            if (!Files.exists(logDir.resolve("meta.properties"))) {
                // Format once: a cluster id and the controller's metadata log. A kept directory is reused as is.
                List<String> format = javaCommand(classpath, "kafka.tools.StorageTool",
                        "format", "-t", Uuid.randomUuid().toString(), "-c", config.toString());
                Process formatter = new ProcessBuilder(format).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
                if (!formatter.waitFor(60, TimeUnit.SECONDS) || formatter.exitValue() != 0) {
                    formatter.destroyForcibly();
                    throw new IllegalStateException("formatting the Kafka data directory " + logDir
                            + " failed; see " + log + ":\n" + Logs.tail(log, 20));
                }
            }

            List<String> command = new ArrayList<>();
            command.addAll(Processes.detachedPrefix());
            command.addAll(javaCommand(classpath, "kafka.Kafka", config.toString()));
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            KafkaBroker broker = new KafkaBroker(dataDir, clientPort, quorumPort, process);
            broker.awaitReady(timeout, log);
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the Kafka broker in " + dataDir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting Kafka", e);
        }
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public int controllerPort() {
        return controllerPort;
    }

    public long pid() {
        return process.pid();
    }

    public Path dataDir() {
        return dataDir;
    }

    /** A crash: SIGKILL, nothing flushed or handed over; returns once the process is gone. */
    public void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the Kafka broker (pid " + process.pid() + ") survived SIGKILL for 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops the broker cleanly (SIGTERM: controlled shutdown), forcibly only if it hangs. */
    @Override
    public void close() {
        Processes.stop(process.toHandle(), Duration.ofSeconds(30));
    }

    private void awaitReady(Duration timeout, Path log) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> config = Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the Kafka broker exited with code " + process.exitValue()
                        + " while starting; last lines of " + log + ":\n" + Logs.tail(log, 30));
            }
            if (Ports.listening(port)) {
                try (Admin admin = Admin.create(config)) {
                    if (!admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (Exception notYet) {
                    // the listener is up before the broker has joined its quorum: keep polling
                }
            }
            Thread.sleep(200);
        }
        close();
        throw new IllegalStateException("the Kafka broker did not become ready within " + timeout
                + "; last lines of " + log + ":\n" + Logs.tail(log, 30));
    }

    private static String serverProperties(Path logDir, int port, int controllerPort) {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
        p.setProperty("log.dirs", logDir.toAbsolutePath().toString());
        p.setProperty("num.partitions", "1");
        // One broker: every internal topic has one replica, or consumer groups and transactions never form.
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        // Rebalance at once: planner workers join and leave often, and tests should not wait 3 s per group.
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        // Topics are created explicitly (Topics); dead-letter topics may appear on first use.
        p.setProperty("auto.create.topics.enable", "true");
        StringBuilder out = new StringBuilder("# written by qwm (dev.qwm.infra.KafkaBroker) at every start\n");
        p.stringPropertyNames().stream().sorted()
                .forEach(k -> out.append(k).append('=').append(p.getProperty(k)).append('\n'));
        return out.toString();
    }

    private static List<String> javaCommand(String classpath, String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(Processes.javaExecutable(),
                "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC",
                // Kafka's own log4j/slf4j settings: INFO to the log file is what an operator wants to read.
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-cp", classpath, mainClass));
        command.addAll(List.of(args));
        return command;
    }

    static String brokerClasspath() throws IOException {
        try (InputStream in = KafkaBroker.class.getResourceAsStream(CLASSPATH_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + CLASSPATH_RESOURCE
                        + " is missing: build deploy/kafka-broker (./mvnw install -pl deploy/kafka-broker)");
            }
            String classpath = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            for (String jar : classpath.split(java.io.File.pathSeparator)) {
                if (!Files.exists(Path.of(jar))) {
                    throw new IllegalStateException("Kafka broker jar " + jar + " is missing from the local Maven"
                            + " repository: rebuild deploy/kafka-broker (./mvnw install -pl deploy/kafka-broker)");
                }
            }
            return classpath;
        }
    }
}
