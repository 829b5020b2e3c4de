package dev.qwm.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.infra.EmbeddedInfrastructure;
import dev.qwm.infra.PostgresServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL killed (SIGKILL, its backends too) while the packaged collector is storing a batch, then started again on
 * the same data folder, durable as the local stack runs it: the collector waits for it and goes on, and every event
 * is stored exactly once, none lost with the transactions that were in flight.
 */
class CollectorDatabaseKillIT {

    private static final Duration WITHIN = Duration.ofMinutes(3);

    private static EmbeddedInfrastructure infra;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startBroker() {
        infra = EmbeddedInfrastructure.start();
    }

    @AfterAll
    static void stopBroker() {
        if (infra != null) {
            infra.close();
        }
    }

    @Test
    void aDatabaseKilledInTheMiddleOfABatchLosesAndDoublesNothing() {
        Path data = dir.resolve("postgres");
        PostgresServer postgres = PostgresServer.start(data, 0, false, true);
        int port = postgres.port();
        Rows rows = new Rows(postgres.jdbcUrl(), PostgresServer.USER, PostgresServer.PASSWORD);
        StudyEvents study = new StudyEvents(31, 60, 3, 5);
        String[] ids = study.eventIds();
        PostgresServer restarted = null;
        try (EventPublisher publisher = new EventPublisher(infra.bootstrapServers());
             CollectorProcess collector = CollectorProcess.start(infra, "database-kill",
                     Map.of("quarkus.datasource.jdbc.url", postgres.jdbcUrl()))) {
            study.publishAll(publisher);
            long some = study.eventCount() / 5;
            Awaitility.await(some + " events stored").atMost(WITHIN).pollInterval(Duration.ofMillis(50))
                    .until(() -> processed(rows, ids) >= some);

            long atKill = processed(rows, ids);
            kill(postgres);
            postgres.close(); // only releases this JVM's lock on the data folder: the server is dead already
            assertTrue(atKill < study.eventCount(), "PostgreSQL was killed after the whole batch (" + atKill + " of "
                    + study.eventCount() + " stored): nothing was left to test");
            Awaitility.await("the collector notices").atMost(WITHIN).pollInterval(Duration.ofMillis(200))
                    .until(() -> collector.get("/q/health/ready").statusCode() == 503);

            restarted = PostgresServer.start(data, port, false, true);
            rows.awaitStored(study, WITHIN);
            rows.assertStored(study);
            assertEquals(ids.length, rows.count("SELECT count(DISTINCT event_id) FROM processed_events"
                    + " WHERE event_id = ANY (?)", (Object) ids));
            assertEquals(study.cemStepCount(), rows.count("SELECT count(*) FROM cem_steps WHERE study_id = ?",
                    study.studyId));
            assertEquals(study.mpcIterationCount(), rows.count("SELECT count(*) FROM mpc_iterations WHERE study_id = ?",
                    study.studyId));
            assertEquals(study.requests.size(), rows.count("SELECT count(*) FROM episodes WHERE study_id = ?",
                    study.studyId));
            double retries = metric(collector, "qwm_collector_storage_retries_total");
            assertTrue(retries > 0, "the collector retried its storage while the database was down");
            System.out.printf("database kill test: %d of %d events stored when PostgreSQL was killed; %.0f storage"
                    + " retries; all %d stored once after its restart%n", atKill, study.eventCount(), retries,
                    study.eventCount());
        } finally {
            if (restarted != null) {
                restarted.close();
            }
        }
    }

    /** SIGKILL to the postmaster and its backends: a crash, nothing shut down. */
    private static void kill(PostgresServer postgres) {
        ProcessHandle postmaster = ProcessHandle.of(postgres.pid()).orElseThrow();
        var backends = postmaster.descendants().toList();
        postmaster.destroyForcibly();
        backends.forEach(ProcessHandle::destroyForcibly);
        postmaster.onExit().orTimeout(60, TimeUnit.SECONDS).join();
        backends.forEach(b -> b.onExit().orTimeout(60, TimeUnit.SECONDS).join());
    }

    private static long processed(Rows rows, String[] ids) {
        return rows.count("SELECT count(*) FROM processed_events WHERE event_id = ANY (?)", (Object) ids);
    }

    private static double metric(CollectorProcess collector, String name) {
        double sum = 0;
        for (String line : collector.get("/q/metrics").body().split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
