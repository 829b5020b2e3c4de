package dev.qwm.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A throwaway broker and database on random loopback ports, for tests and one-process runs: the same
 * {@link KafkaBroker} and {@link PostgresServer} as {@code ./qwm infra up}, in a temporary directory that
 * {@link #close()} deletes.
 */
public final class EmbeddedInfrastructure implements AutoCloseable {

    private final Path dir;
    private final PostgresServer postgres;
    private volatile KafkaBroker kafka;

    private EmbeddedInfrastructure(Path dir, PostgresServer postgres, KafkaBroker kafka) {
        this.dir = dir;
        this.postgres = postgres;
        this.kafka = kafka;
    }

    public static EmbeddedInfrastructure start() {
        Path dir;
        try {
            dir = Files.createTempDirectory("qwm-infra-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PostgresServer postgres = PostgresServer.start(dir.resolve("postgres"), 0, false, false);
        KafkaBroker kafka;
        try {
            kafka = KafkaBroker.start(dir.resolve("kafka"), 0, 0, Duration.ofSeconds(90));
        } catch (RuntimeException e) {
            postgres.close();
            throw e;
        }
        EmbeddedInfrastructure infra = new EmbeddedInfrastructure(dir, postgres, kafka);
        // If the test JVM is stopped without close(), do not leave a broker behind.
        Runtime.getRuntime().addShutdownHook(new Thread(infra::stopQuietly, "qwm-infra-shutdown"));
        Topics.ensure(kafka.bootstrapServers());
        return infra;
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public String jdbcUrl() {
        return postgres.jdbcUrl();
    }

    public String username() {
        return PostgresServer.USER;
    }

    public String password() {
        return PostgresServer.PASSWORD;
    }

    public KafkaBroker kafka() {
        return kafka;
    }

    /** Kills the broker (SIGKILL), as a crash would; {@link #restartKafka()} brings it back. */
    public void killKafka() {
        kafka.kill();
    }

    /** Starts the broker again on its data folder and its ports, as a restarted node would (clients reconnect). */
    public void restartKafka() {
        KafkaBroker dead = kafka;
        kafka = KafkaBroker.start(dead.dataDir(), dead.port(), dead.controllerPort(), Duration.ofSeconds(120));
    }

    public PostgresServer postgres() {
        return postgres;
    }

    @Override
    public void close() {
        stopQuietly();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory left behind is harmless
        }
    }

    private void stopQuietly() {
        kafka.close();
        postgres.close();
    }
}
