package dev.qwm.collector.repository;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;

/** The exactly-once ledger: which consumer has already applied which event. */
@ApplicationScoped
public class ProcessedEventRepository {

    private final DataSource dataSource;

    public ProcessedEventRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Records that {@code consumer} applies {@code eventId} now. Runs in the caller's transaction (MANDATORY), so the
     * ledger row commits or rolls back together with the event's effect.
     *
     * @return true when the event is new for this consumer; false when it was applied before (a redelivery or a
     *         duplicate publication), and the caller must then change nothing
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public boolean claim(String consumer, String eventId, RecordPosition at) {
        String sql = "INSERT INTO processed_events (consumer, event_id, topic, kafka_partition, kafka_offset)"
                + " VALUES (?, ?, ?, ?, ?) ON CONFLICT (consumer, event_id) DO NOTHING";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, consumer);
            ps.setString(2, eventId);
            ps.setString(3, at.topic());
            ps.setInt(4, at.partition());
            ps.setLong(5, at.offset());
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new StorageException("cannot record event " + eventId + " of " + consumer, e);
        }
    }
}
