package dev.qwm.collector.repository;

import dev.qwm.api.collector.v1.ArtifactSummary;
import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.api.events.v1.ArtifactCreated;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** Table {@code artifacts}: one row per content-addressed artifact. */
@ApplicationScoped
public class ArtifactRepository {

    private final DataSource dataSource;

    public ArtifactRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Stores a created artifact; an sha256 that exists already keeps its first registration. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void insert(ArtifactCreated e) {
        String sql = "INSERT INTO artifacts (sha256, component, bundle, label, source_sha256, source_component,"
                + " source_bundle, source_label, recipe_json, manifest_json, size_bytes, created_at, event_id)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING";
        ArtifactRef a = e.getArtifact();
        ArtifactRef source = e.getSource();
        boolean hasSource = e.hasSource() && !source.getSha256().isEmpty();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, a.getSha256());
            ps.setString(2, Jdbc.enumName(ModelComponent.getDescriptor(), a.getComponentValue()));
            ps.setString(3, a.getBundle());
            ps.setString(4, a.getLabel());
            ps.setString(5, hasSource ? source.getSha256() : null);
            ps.setString(6, hasSource ? Jdbc.enumName(ModelComponent.getDescriptor(), source.getComponentValue()) : null);
            ps.setString(7, hasSource ? source.getBundle() : null);
            ps.setString(8, hasSource ? source.getLabel() : null);
            Jdbc.setTextOrNull(ps, 9, e.getRecipeJson());
            Jdbc.setTextOrNull(ps, 10, e.getManifestJson());
            ps.setLong(11, e.getSizeBytes());
            Jdbc.setUnixMs(ps, 12, e.getCreatedAtUnixMs());
            ps.setString(13, e.getEventId());
            ps.executeUpdate();
        } catch (SQLException ex) {
            throw new StorageException("cannot store artifact " + a.getSha256(), ex);
        }
    }

    /** Every artifact, in the order they were created. */
    public List<ArtifactSummary> list() {
        String sql = "SELECT * FROM artifacts ORDER BY created_at NULLS LAST, stored_at, sha256";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            List<ArtifactSummary> artifacts = new ArrayList<>();
            while (rs.next()) {
                ArtifactSummary.Builder b = ArtifactSummary.newBuilder()
                        .setArtifact(ref(rs, "sha256", "component", "bundle", "label"))
                        .setSizeBytes(rs.getLong("size_bytes"))
                        .setRecipeJson(Jdbc.textOrEmpty(rs, "recipe_json"))
                        .setManifestJson(Jdbc.textOrEmpty(rs, "manifest_json"));
                if (rs.getString("source_sha256") != null) {
                    b.setSource(ref(rs, "source_sha256", "source_component", "source_bundle", "source_label"));
                }
                artifacts.add(b.build());
            }
            return artifacts;
        } catch (SQLException ex) {
            throw new StorageException("cannot list artifacts", ex);
        }
    }

    private static ArtifactRef ref(ResultSet rs, String sha256, String component, String bundle, String label)
            throws SQLException {
        return ArtifactRef.newBuilder()
                .setSha256(rs.getString(sha256))
                .setComponentValue(Jdbc.enumNumber(ModelComponent.getDescriptor(), rs.getString(component)))
                .setBundle(rs.getString(bundle))
                .setLabel(rs.getString(label))
                .build();
    }
}
