package dev.qwm.infra;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/**
 * A real PostgreSQL 17 server from zonky's Maven-packaged binaries, on 127.0.0.1. It creates the
 * {@code qwm} role and database on first start; its data directory is kept across restarts.
 */
public final class PostgresServer implements AutoCloseable {

    public static final String DATABASE = "qwm";
    public static final String USER = "qwm";
    public static final String PASSWORD = "qwm";

    /**
     * Servers started by this JVM that outlive it, by data directory: zonky holds a file lock on the data
     * directory for as long as its instance is open, so a stop from this same JVM must go through that instance
     * (a stop from another JVM, e.g. a later {@code ./qwm infra down}, signals the postmaster by PID).
     */
    private static final java.util.Map<Path, EmbeddedPostgres> OUTLIVING = new java.util.concurrent.ConcurrentHashMap<>();

    private final EmbeddedPostgres postgres;
    private final Path dataDir;

    private PostgresServer(EmbeddedPostgres postgres, Path dataDir) {
        this.postgres = postgres;
        this.dataDir = dataDir;
    }

    /**
     * Starts the server.
     *
     * @param dataDir kept between starts (initdb runs only when it holds no cluster yet)
     * @param port 0 picks a free port
     * @param outliveJvm leave the server running when this JVM exits ({@code ./qwm infra up}); tests pass false
     * @param durable    a commit is on disk when it returns (fsync, full_page_writes, synchronous_commit on): the
     *                   collector commits its Kafka offsets after its transaction, so without this a crash loses
     *                   results the broker will not deliver again. Tests, whose data is thrown away, pass false.
     */
    public static PostgresServer start(Path dataDir, int port, boolean outliveJvm, boolean durable) {
        try {
            Files.createDirectories(dataDir.getParent());
            int serverPort = port == 0 ? Ports.free() : port;
            Ports.requireFree(serverPort, "PostgreSQL port");
            Path log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
            ProcessBuilder.Redirect toLog = ProcessBuilder.Redirect.appendTo(log.toFile());
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(!outliveJvm)
                    .setPort(serverPort)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("unix_socket_directories", "")
                    // zonky turns synchronous_commit off by default: set all three either way
                    .setServerConfig("fsync", durable ? "on" : "off")
                    .setServerConfig("full_page_writes", durable ? "on" : "off")
                    .setServerConfig("synchronous_commit", durable ? "on" : "off")
                    .setPGStartupWait(Duration.ofSeconds(60))
                    // never a pipe: a server that outlives this JVM must not write into a closed pipe
                    .setOutputRedirector(toLog)
                    .setErrorRedirector(toLog)
                    .start();
            PostgresServer server = new PostgresServer(postgres, dataDir);
            if (outliveJvm) {
                OUTLIVING.put(dataDir.toAbsolutePath().normalize(), postgres);
            }
            server.ensureDatabase();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start PostgreSQL in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return postgres.getPort();
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + DATABASE;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The postmaster's PID, from {@code postmaster.pid} (its first line). */
    public long pid() {
        return postmasterPid(dataDir);
    }

    static long postmasterPid(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        try {
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            return Long.parseLong(lines.get(0).trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Fast shutdown (SIGINT): active transactions roll back, the server stops at once and cleanly. */
    static boolean stopByPid(Path dataDir, Duration grace) {
        long pid = postmasterPid(dataDir);
        EmbeddedPostgres ours = OUTLIVING.remove(dataDir.toAbsolutePath().normalize());
        if (ours != null) {
            try {
                ours.close(); // pg_ctl stop -m fast, and the data directory's lock released
            } catch (IOException e) {
                // fall through to the signal below
            }
        }
        if (pid <= 0 || !Processes.alive(pid)) {
            return true;
        }
        if (ours == null) {
            Processes.signal(pid, "INT");
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (Processes.alive(pid) && System.nanoTime() < deadline) {
            sleep(100);
        }
        if (Processes.alive(pid)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            return false;
        }
        return true;
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void ensureDatabase() {
        String admin = "jdbc:postgresql://127.0.0.1:" + port() + "/postgres";
        try (Connection c = DriverManager.getConnection(admin, "postgres", "");
             Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT 1 FROM pg_roles WHERE rolname = '" + USER + "'")) {
                if (!r.next()) {
                    s.execute("CREATE ROLE " + USER + " LOGIN PASSWORD '" + PASSWORD + "'");
                }
            }
            try (ResultSet r = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
                if (!r.next()) {
                    s.execute("CREATE DATABASE " + DATABASE + " OWNER " + USER);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL on port " + port() + " started but the qwm database"
                    + " cannot be created: " + e.getMessage(), e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
