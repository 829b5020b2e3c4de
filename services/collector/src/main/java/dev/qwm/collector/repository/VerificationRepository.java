package dev.qwm.collector.repository;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Tables {@code verifications} and {@code autoquant_searches}: the latest record of each, replaced as a verification
 * goes on batch by batch (a verification's id is its content key, so the same verification run again updates its
 * row, never adds a second one).
 */
@ApplicationScoped
public class VerificationRepository {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataSource dataSource;

    public VerificationRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Stores or replaces a verification (checked by {@link VerificationRecords#verification}). */
    public void upsert(VerificationRecords.Verification v, JsonNode record) {
        String sql = "INSERT INTO verifications (verification_id, search_id, environment, candidate_name,"
                + " candidate_sha256, reference_name, reference_sha256, margin, confidence, budget, verdict, difference,"
                + " lower_bound, upper_bound, pairs, episodes_planned, study_ids, machine, record)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)"
                + " ON CONFLICT (verification_id) DO UPDATE SET search_id = EXCLUDED.search_id,"
                + " environment = EXCLUDED.environment, candidate_name = EXCLUDED.candidate_name,"
                + " candidate_sha256 = EXCLUDED.candidate_sha256, reference_name = EXCLUDED.reference_name,"
                + " reference_sha256 = EXCLUDED.reference_sha256, margin = EXCLUDED.margin,"
                + " confidence = EXCLUDED.confidence, budget = EXCLUDED.budget, verdict = EXCLUDED.verdict,"
                + " difference = EXCLUDED.difference, lower_bound = EXCLUDED.lower_bound,"
                + " upper_bound = EXCLUDED.upper_bound, pairs = EXCLUDED.pairs,"
                + " episodes_planned = EXCLUDED.episodes_planned, study_ids = EXCLUDED.study_ids,"
                + " machine = EXCLUDED.machine, record = EXCLUDED.record, updated_at = now()";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, v.id());
            if (v.searchId() == null) {
                ps.setNull(2, Types.VARCHAR);
            } else {
                ps.setString(2, v.searchId());
            }
            ps.setString(3, v.environment());
            ps.setString(4, v.candidateName());
            ps.setString(5, v.candidateSha256());
            ps.setString(6, v.referenceName());
            ps.setString(7, v.referenceSha256());
            ps.setDouble(8, v.margin());
            ps.setDouble(9, v.confidence());
            ps.setString(10, v.budget());
            ps.setString(11, v.verdict());
            ps.setDouble(12, v.difference());
            ps.setDouble(13, v.lower());
            ps.setDouble(14, v.upper());
            ps.setInt(15, v.pairs());
            ps.setInt(16, v.episodesPlanned());
            ps.setArray(17, c.createArrayOf("text", v.studyIds().toArray()));
            ps.setString(18, v.machine());
            ps.setString(19, record.toString());
            ps.executeUpdate();
        } catch (SQLException ex) {
            throw new StorageException("cannot store verification " + v.id(), ex);
        }
    }

    /** Every verification's record (with {@code updated_at}), the latest first; of one search if it is not null. */
    public ArrayNode list(String searchId) {
        String sql = "SELECT record, updated_at FROM verifications" + (searchId == null ? "" : " WHERE search_id = ?")
                + " ORDER BY updated_at DESC, verification_id";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (searchId != null) {
                ps.setString(1, searchId);
            }
            return records(ps);
        } catch (SQLException ex) {
            throw new StorageException("cannot list verifications", ex);
        }
    }

    public Optional<JsonNode> find(String id) {
        return findOne("SELECT record, updated_at FROM verifications WHERE verification_id = ?", id);
    }

    /** Stores or replaces a search (checked by {@link VerificationRecords#search}). */
    public void upsert(VerificationRecords.Search s, JsonNode record) {
        String sql = "INSERT INTO autoquant_searches (search_id, environment, bundle, budget, record)"
                + " VALUES (?, ?, ?, ?, ?::jsonb) ON CONFLICT (search_id) DO UPDATE SET environment ="
                + " EXCLUDED.environment, bundle = EXCLUDED.bundle, budget = EXCLUDED.budget, record = EXCLUDED.record,"
                + " updated_at = now()";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, s.id());
            ps.setString(2, s.environment());
            ps.setString(3, s.bundle());
            ps.setString(4, s.budget());
            ps.setString(5, record.toString());
            ps.executeUpdate();
        } catch (SQLException ex) {
            throw new StorageException("cannot store search " + s.id(), ex);
        }
    }

    public ArrayNode searches() {
        String sql = "SELECT record, updated_at FROM autoquant_searches ORDER BY updated_at DESC, search_id";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            return records(ps);
        } catch (SQLException ex) {
            throw new StorageException("cannot list searches", ex);
        }
    }

    public Optional<JsonNode> search(String id) {
        return findOne("SELECT record, updated_at FROM autoquant_searches WHERE search_id = ?", id);
    }

    private Optional<JsonNode> findOne(String sql, String id) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, id);
            ArrayNode one = records(ps);
            return one.isEmpty() ? Optional.empty() : Optional.of(one.get(0));
        } catch (SQLException ex) {
            throw new StorageException("cannot read " + id, ex);
        }
    }

    private static ArrayNode records(PreparedStatement ps) throws SQLException {
        ArrayNode out = JSON.createArrayNode();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                try {
                    com.fasterxml.jackson.databind.node.ObjectNode r =
                            (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(rs.getString("record"));
                    r.put("updated_at", rs.getObject("updated_at", java.time.OffsetDateTime.class).toString());
                    out.add(r);
                } catch (IOException e) {
                    throw new IllegalStateException("a stored record is not JSON: " + e.getMessage(), e);
                }
            }
        }
        return out;
    }
}
