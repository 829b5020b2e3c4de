package dev.qwm.collector.messaging;

import dev.qwm.collector.config.CollectorConfig;
import dev.qwm.collector.repository.ExactlyOnceStore;
import dev.qwm.collector.repository.RecordPosition;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * One record's way into the database: decode and validate, apply exactly once, then acknowledge.
 * <ul>
 *   <li>stored, or already stored before (a redelivery or a duplicate): ack, so the offset may be committed;</li>
 *   <li>malformed (bad bytes, missing ids, values the database rejects as data errors): nack with the reason, which
 *       the dead-letter-queue failure strategy sends to {@code <topic>.dlq}; the channel goes on;</li>
 *   <li>the database unreachable or busy: retry with backoff for as long as the service runs. A good event never goes
 *       to the dead-letter topic because of an outage; at shutdown it is left unacknowledged, so its offset is not
 *       committed and the next start reads it again.</li>
 * </ul>
 */
@ApplicationScoped
public class EventIngestion {

    private static final Logger LOG = Logger.getLogger(EventIngestion.class);
    private static final List<String> OUTCOMES = List.of("stored", "duplicate", "malformed");

    private final ExactlyOnceStore store;
    private final MeterRegistry meters;
    private final CollectorConfig config;
    private volatile boolean running = true;

    public EventIngestion(ExactlyOnceStore store, MeterRegistry meters, CollectorConfig config) {
        this.store = store;
        this.meters = meters;
        this.config = config;
        // Registered up front, so every series exists (at 0) from the start and rates can be computed at once.
        for (String consumer : Channels.ALL) {
            for (String outcome : OUTCOMES) {
                counter(consumer, outcome);
            }
        }
    }

    void onShutdown(@Observes ShutdownEvent event) {
        running = false;
    }

    public <E extends com.google.protobuf.Message> CompletionStage<Void> ingest(Message<byte[]> message,
                                                                            EventSchema<E> schema, Consumer<E> effect) {
        IncomingKafkaRecordMetadata<?, ?> kafka = message.getMetadata(IncomingKafkaRecordMetadata.class)
                .orElseThrow(() -> new IllegalStateException("channel " + schema.consumer() + " is not a Kafka channel"));
        RecordPosition at = new RecordPosition(kafka.getTopic(), kafka.getPartition(), kafka.getOffset());
        E event;
        try {
            event = schema.decode(message.getPayload(), eventIdHeader(kafka));
        } catch (MalformedEventException e) {
            return deadLetter(message, schema, at, e);
        }
        String eventId = schema.eventId().apply(event);
        Duration backoff = config.storage().retryInitialBackoff();
        for (int attempt = 1; ; attempt++) {
            try {
                boolean applied = store.applyOnce(schema.consumer(), eventId, at, () -> effect.accept(event));
                count(schema, applied ? "stored" : "duplicate");
                if (!applied) {
                    LOG.debugf("%s %s at %s was stored before; skipped", schema.type(), eventId, at);
                }
                return message.ack();
            } catch (RuntimeException e) {
                SQLException sql = sqlCause(e);
                if (sql != null && isDataError(sql)) {
                    return deadLetter(message, schema, at, new MalformedEventException(schema.type() + " " + eventId
                            + ": rejected by the database (SQLSTATE " + sql.getSQLState() + "): " + sql.getMessage(), e));
                }
                if (!running || !sleep(backoff)) {
                    LOG.warnf("%s %s at %s not stored before shutdown; left unacknowledged, it is read again at the"
                            + " next start", schema.type(), eventId, at);
                    return new CompletableFuture<>();
                }
                meters.counter("qwm.collector.storage.retries", "consumer", schema.consumer()).increment();
                if (attempt == 1) {
                    LOG.warnf(e, "%s %s at %s: storing failed; retrying until the database accepts it", schema.type(),
                            eventId, at);
                } else {
                    LOG.warnf("%s %s at %s: storing failed again (attempt %d): %s", schema.type(), eventId, at,
                            attempt, e.getMessage());
                }
                backoff = min(backoff.multipliedBy(2), config.storage().retryMaxBackoff());
            }
        }
    }

    private <E extends com.google.protobuf.Message> CompletionStage<Void> deadLetter(
            Message<byte[]> message, EventSchema<E> schema, RecordPosition at, MalformedEventException reason) {
        count(schema, "malformed");
        LOG.warnf("malformed record at %s, sent to the dead-letter topic: %s", at, reason.getMessage());
        return message.nack(reason);
    }

    private void count(EventSchema<?> schema, String outcome) {
        counter(schema.consumer(), outcome).increment();
    }

    private Counter counter(String consumer, String outcome) {
        return Counter.builder("qwm.collector.events")
                .description("Records consumed by the collector, by outcome (stored, duplicate, malformed)")
                .tag("consumer", consumer)
                .tag("outcome", outcome)
                .register(meters);
    }

    private static String eventIdHeader(IncomingKafkaRecordMetadata<?, ?> kafka) {
        Header header = kafka.getHeaders().lastHeader(EventSchema.EVENT_ID_HEADER);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static SQLException sqlCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SQLException sql) {
                return sql;
            }
        }
        return null;
    }

    /**
     * SQLSTATE class 22 (data exception, e.g. a NUL character in text) and 23 (integrity constraint violation, e.g. a
     * CHECK) are properties of the event itself: retrying cannot help. Everything else (connection lost, pool
     * exhausted, serialization failure, permissions) is the database's state and may pass.
     */
    static boolean isDataError(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }

    private static boolean sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
