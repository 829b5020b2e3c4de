package dev.qwm.collector;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.awaitility.Awaitility;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Reads the collector's tables straight from PostgreSQL, as an operator would. */
final class Rows {

    private final String jdbcUrl;
    private final String user;
    private final String password;

    Rows(String jdbcUrl, String user, String password) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
    }

    /** The single number that {@code sql} selects, with {@code args} bound in order. */
    long count(String sql, Object... args) {
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, password);
             PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("query failed: " + sql + ": " + e.getMessage(), e);
        }
    }

    /** Waits until every row of {@code study} is stored, then checks that none is there twice. */
    void awaitStored(StudyEvents study, Duration timeout) {
        String id = study.studyId;
        Awaitility.await("rows of " + id).atMost(timeout).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            assertEquals(1, count("SELECT count(*) FROM studies WHERE study_id = ?", id), "studies");
            assertEquals(study.requests.size(), count("SELECT count(*) FROM episodes WHERE study_id = ?"
                    + " AND request_event_id IS NOT NULL AND attempt_id IS NOT NULL", id), "requested and completed episodes");
            assertEquals(study.mpcIterationCount(), count("SELECT count(*) FROM mpc_iterations WHERE study_id = ?", id),
                    "mpc_iterations");
            assertEquals(study.cemStepCount(), count("SELECT count(*) FROM cem_steps WHERE study_id = ?", id),
                    "cem_steps");
            assertEquals(2, count("SELECT count(*) FROM artifacts WHERE sha256 IN (?, ?)",
                    study.encoderArtifact.getArtifact().getSha256(), study.predictorArtifact.getArtifact().getSha256()),
                    "artifacts");
        });
        assertEquals(study.eventCount(), count("SELECT count(*) FROM processed_events WHERE event_id = ANY (?)",
                (Object) study.eventIds()), "one processed_events row per event");
    }

    String text(String sql, Object... args) {
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, password);
             PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("query failed: " + sql + ": " + e.getMessage(), e);
        }
    }
}
