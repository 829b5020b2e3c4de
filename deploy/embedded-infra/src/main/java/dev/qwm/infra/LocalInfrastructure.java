package dev.qwm.infra;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * The long-lived local infrastructure behind {@code ./qwm infra up|status|down}: one Kafka broker and one
 * PostgreSQL server that outlive the command that started them, on fixed loopback ports, with their data
 * under one directory. {@code infra.json} there records the PIDs and ports, so any later command can find
 * and stop them.
 */
public final class LocalInfrastructure {

    public static final int DEFAULT_KAFKA_PORT = 19092;
    public static final int DEFAULT_KAFKA_CONTROLLER_PORT = 19093;
    public static final int DEFAULT_POSTGRES_PORT = 55432;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What {@code infra.json} holds. */
    public record State(long kafkaPid, int kafkaPort, int kafkaControllerPort, long postgresPid, int postgresPort,
                        String startedAt) {

        public String bootstrapServers() {
            return "127.0.0.1:" + kafkaPort;
        }

        public String jdbcUrl() {
            return "jdbc:postgresql://127.0.0.1:" + postgresPort + "/" + PostgresServer.DATABASE;
        }
    }

    /** One server's line in {@code status}. */
    public record ServerStatus(String name, boolean running, long pid, int port, String detail, Path dataDir) {
    }

    private final Path home;

    public LocalInfrastructure(Path home) {
        this.home = home.toAbsolutePath();
    }

    public Path home() {
        return home;
    }

    private Path stateFile() {
        return home.resolve("infra.json");
    }

    private Path kafkaDir() {
        return home.resolve("kafka");
    }

    private Path postgresDir() {
        return home.resolve("postgres");
    }

    public Optional<State> state() {
        if (!Files.exists(stateFile())) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(stateFile().toFile(), State.class));
        } catch (IOException e) {
            throw new IllegalStateException(stateFile() + " is not a qwm infrastructure state file ("
                    + e.getMessage() + "); stop the servers by hand or delete it", e);
        }
    }

    /** Whether both servers recorded in the state file are alive. */
    public boolean running() {
        return state().map(s -> Processes.alive(s.kafkaPid()) && Processes.alive(s.postgresPid())).orElse(false);
    }

    /**
     * Starts whatever is not running. Returns the state; {@code progress} hears what is happening.
     */
    public State up(int kafkaPort, int kafkaControllerPort, int postgresPort, java.util.function.Consumer<String> progress) {
        Optional<State> previous = state();
        if (previous.isPresent() && running()) {
            progress.accept("already running");
            return previous.get();
        }
        // Half-up (one server died): stop the survivor so that both start from a known point.
        previous.ifPresent(s -> stopRecorded(s, progress));
        try {
            Files.createDirectories(home);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + home, e);
        }
        boolean kept = Files.exists(postgresDir().resolve("PG_VERSION"));
        progress.accept("starting PostgreSQL on 127.0.0.1:" + postgresPort
                + (kept ? " (data kept in " + postgresDir() + ")" : " (new data directory " + postgresDir() + ")"));
        PostgresServer postgres = PostgresServer.start(postgresDir(), postgresPort, true, true);
        KafkaBroker kafka;
        try {
            boolean kafkaKept = Files.exists(kafkaDir().resolve("log").resolve("meta.properties"));
            progress.accept("starting Kafka on 127.0.0.1:" + kafkaPort
                    + (kafkaKept ? " (data kept in " + kafkaDir() + ")" : " (new data directory " + kafkaDir() + ")"));
            kafka = KafkaBroker.start(kafkaDir(), kafkaPort, kafkaControllerPort, Duration.ofSeconds(90));
        } catch (RuntimeException e) {
            PostgresServer.stopByPid(postgresDir(), Duration.ofSeconds(20));
            throw e;
        }
        var created = Topics.ensure(kafka.bootstrapServers());
        if (!created.isEmpty()) {
            progress.accept("created topics " + String.join(", ", created.stream().sorted().toList()));
        }
        State state = new State(kafka.pid(), kafka.port(), kafka.controllerPort(), postgres.pid(), postgres.port(),
                Instant.now().toString());
        try {
            JSON.writeValue(stateFile().toFile(), state);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + stateFile(), e);
        }
        return state;
    }

    /** Both servers with their ports, liveness, and what their data holds. */
    public List<ServerStatus> status() {
        Optional<State> state = state();
        List<ServerStatus> out = new ArrayList<>();
        if (state.isEmpty()) {
            out.add(new ServerStatus("kafka", false, -1, DEFAULT_KAFKA_PORT, "never started", kafkaDir()));
            out.add(new ServerStatus("postgresql", false, -1, DEFAULT_POSTGRES_PORT, "never started", postgresDir()));
            return out;
        }
        State s = state.get();
        boolean kafkaUp = Processes.alive(s.kafkaPid()) && Ports.listening(s.kafkaPort());
        boolean pgUp = Processes.alive(s.postgresPid()) && Ports.listening(s.postgresPort());
        out.add(new ServerStatus("kafka", kafkaUp, s.kafkaPid(), s.kafkaPort(),
                kafkaUp ? describeKafka(s.bootstrapServers()) : "stopped", kafkaDir()));
        out.add(new ServerStatus("postgresql", pgUp, s.postgresPid(), s.postgresPort(),
                pgUp ? describePostgres(s.jdbcUrl()) : "stopped", postgresDir()));
        return out;
    }

    /** Stops both servers by PID and waits until they are gone. Returns the PIDs that had to be killed. */
    public List<Long> down(java.util.function.Consumer<String> progress) {
        return state().map(s -> stopRecorded(s, progress)).orElseGet(() -> {
            progress.accept("nothing recorded in " + stateFile() + ": nothing to stop");
            return List.of();
        });
    }

    private List<Long> stopRecorded(State s, java.util.function.Consumer<String> progress) {
        List<Long> killed = new ArrayList<>();
        if (Processes.alive(s.kafkaPid())) {
            progress.accept("stopping Kafka (pid " + s.kafkaPid() + ")");
            ProcessHandle.of(s.kafkaPid()).ifPresent(h -> {
                if (!Processes.stop(h, Duration.ofSeconds(30))) {
                    killed.add(s.kafkaPid());
                }
            });
        }
        if (Processes.alive(s.postgresPid())) {
            progress.accept("stopping PostgreSQL (pid " + s.postgresPid() + ")");
            if (!PostgresServer.stopByPid(postgresDir(), Duration.ofSeconds(30))) {
                killed.add(s.postgresPid());
            }
        }
        return killed;
    }

    private static String describeKafka(String bootstrap) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 4000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000))) {
            var names = admin.listTopics().names().get(5, TimeUnit.SECONDS);
            var descriptions = admin.describeTopics(names).allTopicNames().get(5, TimeUnit.SECONDS);
            int partitions = descriptions.values().stream().mapToInt(d -> d.partitions().size()).sum();
            return names.size() + " topics, " + partitions + " partitions";
        } catch (Exception e) {
            return "not answering: " + e.getMessage();
        }
    }

    private static String describePostgres(String jdbcUrl) {
        try (Connection c = DriverManager.getConnection(jdbcUrl, PostgresServer.USER, PostgresServer.PASSWORD);
             Statement st = c.createStatement();
             ResultSet r = st.executeQuery("SELECT count(*), pg_size_pretty(pg_database_size(current_database()))"
                     + " FROM information_schema.tables WHERE table_schema = 'public'")) {
            r.next();
            return "database " + PostgresServer.DATABASE + ": " + r.getInt(1) + " tables, " + r.getString(2);
        } catch (SQLException e) {
            return "not answering: " + e.getMessage();
        }
    }
}
