package dev.qwm.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.qwm.api.events.v1.EpisodeProgress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.awaitility.Awaitility;

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

    /** Waits until every row of {@code study} is stored, then checks that each event is recorded once. */
    void awaitStored(StudyEvents study, Duration timeout) {
        Awaitility.await("rows of " + study.studyId).atMost(timeout).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertStored(study));
    }

    /** Every event of {@code study} has its row, and one processed_events row per consumer. */
    void assertStored(StudyEvents study) {
        String id = study.studyId;
        assertEquals(1, count("SELECT count(*) FROM studies WHERE study_id = ?", id), "studies");
        assertEquals(study.requests.size(), count("SELECT count(*) FROM episodes WHERE study_id = ?"
                + " AND request_event_id IS NOT NULL AND attempt_id IS NOT NULL", id), "requested and completed episodes");
        String[] progressIds = study.progress.stream().map(EpisodeProgress::getEventId).toArray(String[]::new);
        assertEquals(study.mpcIterationCount(), count("SELECT count(*) FROM mpc_iterations WHERE event_id = ANY (?)",
                (Object) progressIds), "mpc_iterations");
        assertEquals(study.cemStepCount(), count("SELECT count(*) FROM cem_steps WHERE event_id = ANY (?)",
                (Object) progressIds), "cem_steps");
        assertEquals(2, count("SELECT count(*) FROM artifacts WHERE sha256 IN (?, ?)",
                study.encoderArtifact.getArtifact().getSha256(), study.predictorArtifact.getArtifact().getSha256()),
                "artifacts");
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
