package dev.qwm.collector.repository;

import dev.qwm.api.collector.v1.EpisodeFailure;
import dev.qwm.api.collector.v1.GetStudyResponse;
import dev.qwm.api.collector.v1.StudySummary;
import dev.qwm.api.common.v1.StudyId;
import dev.qwm.api.events.v1.StudySubmitted;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** Table {@code studies}, and the per-study counts over {@code episodes}. */
@ApplicationScoped
public class StudyRepository {

    // Counts come from the episodes table, so a summary is always consistent with the stored episode rows.
    private static final String SUMMARY_SELECT = "SELECT s.study_id, s.name, s.episode_count, s.submitted_at, s.spec_json,"
            + " count(e.attempt_id) AS completed_count,"
            + " count(*) FILTER (WHERE e.attempt_id IS NOT NULL AND e.success) AS success_count,"
            + " count(*) FILTER (WHERE e.attempt_id IS NULL AND e.dead_letter_reason IS NOT NULL) AS failed_count"
            + " FROM studies s LEFT JOIN episodes e ON e.study_id = s.study_id";

    private final DataSource dataSource;

    public StudyRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Stores a submitted study; a study id that exists already keeps its first submission. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void insert(StudySubmitted e) {
        String sql = "INSERT INTO studies (study_id, name, spec_json, episode_count, submitted_at, event_id)"
                + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (study_id) DO NOTHING";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, e.getStudyId().getValue());
            ps.setString(2, e.getName());
            ps.setString(3, e.getSpecJson());
            ps.setInt(4, e.getEpisodeCount());
            Jdbc.setUnixMs(ps, 5, e.getSubmittedAtUnixMs());
            ps.setString(6, e.getEventId());
            ps.executeUpdate();
        } catch (SQLException ex) {
            throw new StorageException("cannot store study " + e.getStudyId().getValue(), ex);
        }
    }

    /** Every study, newest submission first. */
    public List<StudySummary> list() {
        String sql = SUMMARY_SELECT + " GROUP BY s.study_id ORDER BY s.submitted_at DESC NULLS LAST, s.study_id";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            List<StudySummary> studies = new ArrayList<>();
            while (rs.next()) {
                studies.add(summary(rs));
            }
            return studies;
        } catch (SQLException ex) {
            throw new StorageException("cannot list studies", ex);
        }
    }

    public Optional<GetStudyResponse> find(String studyId) {
        String sql = SUMMARY_SELECT + " WHERE s.study_id = ? GROUP BY s.study_id";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(GetStudyResponse.newBuilder()
                        .setSummary(summary(rs))
                        .setSpecJson(rs.getString("spec_json"))
                        .addAllFailures(failures(c, studyId))
                        .build());
            }
        } catch (SQLException ex) {
            throw new StorageException("cannot read study " + studyId, ex);
        }
    }

    /** The study's episodes that were dead-lettered and have no result, by index. */
    private static List<EpisodeFailure> failures(Connection c, String studyId) throws SQLException {
        String sql = "SELECT episode_index, configuration, dead_letter_reason FROM episodes WHERE study_id = ?"
                + " AND attempt_id IS NULL AND dead_letter_reason IS NOT NULL ORDER BY episode_index";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                List<EpisodeFailure> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(EpisodeFailure.newBuilder().setEpisodeIndex(rs.getInt(1))
                            .setConfiguration(rs.getString(2) == null ? "" : rs.getString(2))
                            .setReason(rs.getString(3)).build());
                }
                return out;
            }
        }
    }

    private static StudySummary summary(ResultSet rs) throws SQLException {
        return StudySummary.newBuilder()
                .setStudyId(StudyId.newBuilder().setValue(rs.getString("study_id")))
                .setName(rs.getString("name"))
                .setEpisodeCount(rs.getInt("episode_count"))
                .setCompletedCount(rs.getInt("completed_count"))
                .setSuccessCount(rs.getInt("success_count"))
                .setFailedCount(rs.getInt("failed_count"))
                .setSubmittedAtUnixMs(Jdbc.unixMs(rs, "submitted_at"))
                .build();
    }
}
