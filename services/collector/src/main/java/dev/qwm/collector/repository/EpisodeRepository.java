package dev.qwm.collector.repository;

import dev.qwm.api.collector.v1.GetEpisodeTraceResponse;
import dev.qwm.api.common.v1.EpisodeId;
import dev.qwm.api.common.v1.RunEnvironment;
import dev.qwm.api.common.v1.StudyId;
import dev.qwm.api.events.v1.CemStepMetrics;
import dev.qwm.api.events.v1.EpisodeCompleted;
import dev.qwm.api.events.v1.EpisodeProgress;
import dev.qwm.api.events.v1.EpisodeRequested;
import dev.qwm.api.events.v1.MpcIterationMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * Tables {@code episodes}, {@code mpc_iterations} and {@code cem_steps}. Natural keys make every write idempotent:
 * an episode is (study, index); its result is its first completed attempt; a progress row is (episode, attempt,
 * iteration[, step]).
 */
@ApplicationScoped
public class EpisodeRepository {

    private static final String RESULT_COLUMNS = "attempt_id, worker_id, success, success_iteration,"
            + " final_state_distance, final_best_loss, mpc_iterations, wall_time_ms, mean_cem_step_ms, completed_at,"
            + " completion_event_id, " + RunEnvironmentColumns.columns("ran_on_") + ", "
            + RunEnvironmentColumns.columns("encoder_ran_on_");
    private static final int RESULT_COLUMN_COUNT = 11 + 2 * RunEnvironmentColumns.COUNT;

    // The request overwrites a configuration that an earlier-arriving completion filled in (they carry the same
    // one), but never a previous request: WHERE request_event_id IS NULL.
    private static final String RECORD_REQUEST = "INSERT INTO episodes (study_id, episode_index, "
            + EpisodeConfiguration.COLUMNS + ", request_event_id, requested_at) VALUES (?, ?, "
            + placeholders(EpisodeConfiguration.COLUMN_COUNT) + ", ?, now())"
            + " ON CONFLICT (study_id, episode_index) DO UPDATE SET " + fromExcluded(EpisodeConfiguration.COLUMNS)
            + ", request_event_id = EXCLUDED.request_event_id, requested_at = EXCLUDED.requested_at"
            + " WHERE episodes.request_event_id IS NULL";

    // First completion wins: the result columns are written only while the episode has none.
    private static final String RECORD_COMPLETION = "INSERT INTO episodes (study_id, episode_index, "
            + EpisodeConfiguration.COLUMNS + ", " + RESULT_COLUMNS + ") VALUES (?, ?, "
            + placeholders(EpisodeConfiguration.COLUMN_COUNT + RESULT_COLUMN_COUNT) + ")"
            + " ON CONFLICT (study_id, episode_index) DO UPDATE SET " + fromExcluded(RESULT_COLUMNS)
            + " WHERE episodes.attempt_id IS NULL";

    // A dead-lettered request: its configuration (if no request was stored) and the reason, while there is no result.
    private static final String RECORD_DEAD_LETTER = "INSERT INTO episodes (study_id, episode_index, "
            + EpisodeConfiguration.COLUMNS + ", dead_letter_reason, dead_lettered_at) VALUES (?, ?, "
            + placeholders(EpisodeConfiguration.COLUMN_COUNT) + ", ?, now())"
            + " ON CONFLICT (study_id, episode_index) DO UPDATE SET dead_letter_reason = EXCLUDED.dead_letter_reason,"
            + " dead_lettered_at = EXCLUDED.dead_lettered_at WHERE episodes.attempt_id IS NULL";

    private final DataSource dataSource;

    public EpisodeRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Records a planned episode and its configuration. The first request of an episode wins; a request that arrives
     * after the completion still records the request (the result is kept).
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void recordRequest(EpisodeRequested e) {
        recordRequested(RECORD_REQUEST, e, e.getEventId(), "the request");
    }

    /**
     * Records that an episode's request was dead-lettered by the planner with {@code reason}: it will not be planned,
     * so its study must not wait for it. An episode that has a completed attempt keeps it.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void recordDeadLetter(EpisodeRequested e, String reason) {
        recordRequested(RECORD_DEAD_LETTER, e, reason, "the dead-lettered request");
    }

    /** {@code sql} with a requested episode's key, its configuration, then {@code last} (what {@code sql} records). */
    private void recordRequested(String sql, EpisodeRequested e, String last, String what) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, e.getEpisodeId().getStudyId().getValue());
            ps.setInt(2, e.getEpisodeId().getIndex());
            EpisodeConfiguration.of(e).bind(ps, 3);
            ps.setString(3 + EpisodeConfiguration.COLUMN_COUNT, last);
            ps.executeUpdate();
        } catch (SQLException ex) {
            throw new StorageException("cannot store " + what + " of episode " + key(e.getEpisodeId()), ex);
        }
    }

    /**
     * Records an episode's result. Only the first completed attempt counts: a redone episode's later completion
     * changes nothing. The configuration columns are filled from the completion only when no request came first.
     *
     * @return true when this completion became the episode's result
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public boolean recordCompletion(EpisodeCompleted e) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(RECORD_COMPLETION)) {
            ps.setString(1, e.getEpisodeId().getStudyId().getValue());
            ps.setInt(2, e.getEpisodeId().getIndex());
            EpisodeConfiguration.of(e).bind(ps, 3);
            int i = 3 + EpisodeConfiguration.COLUMN_COUNT;
            ps.setString(i++, e.getAttemptId());
            ps.setString(i++, e.getWorkerId());
            ps.setBoolean(i++, e.getSuccess());
            ps.setInt(i++, e.getSuccessIteration());
            ps.setFloat(i++, e.getFinalStateDistance());
            ps.setFloat(i++, e.getFinalBestLoss());
            ps.setInt(i++, e.getMpcIterations());
            ps.setLong(i++, e.getWallTimeMs());
            ps.setFloat(i++, e.getMeanCemStepMs());
            Jdbc.setUnixMs(ps, i++, e.getCompletedAtUnixMs());
            ps.setString(i++, e.getEventId());
            i = RunEnvironmentColumns.bind(ps, i, e.hasRanOn() ? e.getRanOn() : null);
            RunEnvironmentColumns.bind(ps, i, e.hasEncoderRanOn() ? e.getEncoderRanOn() : null);
            return ps.executeUpdate() == 1;
        } catch (SQLException ex) {
            throw new StorageException("cannot store the completion of episode " + key(e.getEpisodeId()), ex);
        }
    }

    /** Stores one progress row of one attempt; a row that exists already (same natural key) is kept. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void recordProgress(EpisodeProgress e) {
        switch (e.getMetricsCase()) {
            case MPC_ITERATION -> insertMpcIteration(e, e.getMpcIteration());
            case CEM_STEP -> insertCemStep(e, e.getCemStep());
            case METRICS_NOT_SET -> throw new IllegalArgumentException("progress event " + e.getEventId() + " has no metrics");
        }
    }

    private void insertMpcIteration(EpisodeProgress e, MpcIterationMetrics m) {
        insertProgress("mpc_iterations", e, "MPC iteration " + m.getMpcIteration(), List.of("mpc_iteration", "success",
                        "state_distance", "best_loss", "visual_divergence", "proprio_divergence", "env_steps", "planning_ms"),
                m.getMpcIteration(), m.getSuccess(), m.getStateDistance(), m.getBestLoss(), m.getVisualDivergence(),
                m.getProprioDivergence(), m.getEnvSteps(), m.getPlanningMs());
    }

    private void insertCemStep(EpisodeProgress e, CemStepMetrics m) {
        insertProgress("cem_steps", e, "CEM step " + m.getMpcIteration() + "/" + m.getCemStep(), List.of("mpc_iteration",
                        "cem_step", "success", "state_distance", "best_loss", "visual_divergence", "proprio_divergence"),
                m.getMpcIteration(), m.getCemStep(), m.getSuccess(), m.getStateDistance(), m.getBestLoss(),
                m.getVisualDivergence(), m.getProprioDivergence());
    }

    /**
     * One progress row: the episode's key and attempt, then {@code columns} with {@code values} (boxed as the JDBC
     * driver binds them), then the event id; a row that exists already is kept.
     */
    private void insertProgress(String table, EpisodeProgress e, String what, List<String> columns, Object... values) {
        String sql = "INSERT INTO " + table + " (study_id, episode_index, attempt_id, " + String.join(", ", columns)
                + ", event_id) VALUES (" + "?, ".repeat(columns.size() + 3) + "?) ON CONFLICT DO NOTHING";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, e.getEpisodeId().getStudyId().getValue());
            ps.setInt(2, e.getEpisodeId().getIndex());
            ps.setString(3, e.getAttemptId());
            for (int k = 0; k < values.length; k++) {
                ps.setObject(4 + k, values[k]);
            }
            ps.setString(4 + values.length, e.getEventId());
            ps.executeUpdate();
        } catch (SQLException ex) {
            throw new StorageException("cannot store " + what + " of episode " + key(e.getEpisodeId()) + " attempt "
                    + e.getAttemptId(), ex);
        }
    }

    /** The completed episodes of a study (their winning attempt), by index. */
    public List<EpisodeCompleted> completed(String studyId) {
        String sql = "SELECT * FROM episodes WHERE study_id = ? AND attempt_id IS NOT NULL ORDER BY episode_index";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                List<EpisodeCompleted> episodes = new ArrayList<>();
                while (rs.next()) {
                    episodes.add(completion(rs));
                }
                return episodes;
            }
        } catch (SQLException ex) {
            throw new StorageException("cannot list the episodes of study " + studyId, ex);
        }
    }

    /**
     * The per-iteration and per-step metrics of one episode: of its completed attempt, or, while it has none, of the
     * attempt that reported last. Empty when nothing of the episode is stored.
     */
    public Optional<GetEpisodeTraceResponse> trace(String studyId, int index) {
        try (Connection c = dataSource.getConnection()) {
            Optional<String> attempt = reportedAttempt(c, studyId, index);
            if (attempt.isEmpty()) {
                return Optional.empty();
            }
            GetEpisodeTraceResponse.Builder trace = GetEpisodeTraceResponse.newBuilder().setAttemptId(attempt.get());
            forEachProgressRow(c, "mpc_iterations", "mpc_iteration", studyId, index, attempt.get(),
                    rs -> trace.addMpcIterations(MpcIterationMetrics.newBuilder()
                            .setMpcIteration(rs.getInt("mpc_iteration"))
                            .setSuccess(rs.getBoolean("success"))
                            .setStateDistance(rs.getFloat("state_distance"))
                            .setBestLoss(rs.getFloat("best_loss"))
                            .setVisualDivergence(rs.getFloat("visual_divergence"))
                            .setProprioDivergence(rs.getFloat("proprio_divergence"))
                            .setEnvSteps(rs.getInt("env_steps"))
                            .setPlanningMs(rs.getLong("planning_ms"))));
            forEachProgressRow(c, "cem_steps", "mpc_iteration, cem_step", studyId, index, attempt.get(),
                    rs -> trace.addCemSteps(CemStepMetrics.newBuilder()
                            .setMpcIteration(rs.getInt("mpc_iteration"))
                            .setCemStep(rs.getInt("cem_step"))
                            .setBestLoss(rs.getFloat("best_loss"))
                            .setSuccess(rs.getBoolean("success"))
                            .setStateDistance(rs.getFloat("state_distance"))
                            .setVisualDivergence(rs.getFloat("visual_divergence"))
                            .setProprioDivergence(rs.getFloat("proprio_divergence"))));
            return Optional.of(trace.build());
        } catch (SQLException ex) {
            throw new StorageException("cannot read the trace of episode " + studyId + "/" + index, ex);
        }
    }

    private static Optional<String> reportedAttempt(Connection c, String studyId, int index) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT attempt_id FROM episodes"
                + " WHERE study_id = ? AND episode_index = ? AND attempt_id IS NOT NULL")) {
            ps.setString(1, studyId);
            ps.setInt(2, index);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return Optional.of(rs.getString(1));
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT attempt_id FROM ("
                + " SELECT attempt_id, stored_at FROM mpc_iterations WHERE study_id = ? AND episode_index = ?"
                + " UNION ALL SELECT attempt_id, stored_at FROM cem_steps WHERE study_id = ? AND episode_index = ?"
                + ") progress ORDER BY stored_at DESC LIMIT 1")) {
            ps.setString(1, studyId);
            ps.setInt(2, index);
            ps.setString(3, studyId);
            ps.setInt(4, index);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    private interface RowReader {
        void read(ResultSet rs) throws SQLException;
    }

    /** Every progress row of one attempt in {@code table}, in {@code order}. */
    private static void forEachProgressRow(Connection c, String table, String order, String studyId, int index,
                                           String attemptId, RowReader reader) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + table
                + " WHERE study_id = ? AND episode_index = ? AND attempt_id = ? ORDER BY " + order)) {
            ps.setString(1, studyId);
            ps.setInt(2, index);
            ps.setString(3, attemptId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    reader.read(rs);
                }
            }
        }
    }

    private static EpisodeCompleted completion(ResultSet rs) throws SQLException {
        EpisodeCompleted.Builder b = EpisodeCompleted.newBuilder()
                .setEventId(rs.getString("completion_event_id"))
                .setEpisodeId(EpisodeId.newBuilder()
                        .setStudyId(StudyId.newBuilder().setValue(rs.getString("study_id")))
                        .setIndex(rs.getInt("episode_index")))
                .setAttemptId(rs.getString("attempt_id"))
                .setWorkerId(rs.getString("worker_id"))
                .setSuccess(rs.getBoolean("success"))
                .setSuccessIteration(rs.getInt("success_iteration"))
                .setFinalStateDistance(rs.getFloat("final_state_distance"))
                .setFinalBestLoss(rs.getFloat("final_best_loss"))
                .setMpcIterations(rs.getInt("mpc_iterations"))
                .setWallTimeMs(rs.getLong("wall_time_ms"))
                .setMeanCemStepMs(rs.getFloat("mean_cem_step_ms"))
                .setCompletedAtUnixMs(Jdbc.unixMs(rs, "completed_at"));
        RunEnvironment ranOn = RunEnvironmentColumns.read(rs, "ran_on_");
        if (ranOn != null) {
            b.setRanOn(ranOn);
        }
        RunEnvironment encoderRanOn = RunEnvironmentColumns.read(rs, "encoder_ran_on_");
        if (encoderRanOn != null) {
            b.setEncoderRanOn(encoderRanOn);
        }
        EpisodeConfiguration.readInto(rs, b);
        return b.build();
    }

    /** "a, b" -> "a = EXCLUDED.a, b = EXCLUDED.b" */
    private static String fromExcluded(String columns) {
        return Arrays.stream(columns.split(","))
                .map(String::trim)
                .map(column -> column + " = EXCLUDED." + column)
                .collect(Collectors.joining(", "));
    }

    private static String placeholders(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }

    private static String key(EpisodeId id) {
        return id.getStudyId().getValue() + "/" + id.getIndex();
    }
}
