package dev.qwm.planner.messaging;

import dev.qwm.planner.config.PlannerConfig;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Publishes a study's records in one Kafka transaction, with a producer of its own rather than a messaging channel.
 *
 * <p>Why not SmallRye's {@code KafkaTransactions} emitter: it wraps one producer for the application's life, and a
 * transaction ends (commit or abort) only once every send in it has been answered. When the broker died during a
 * study's transaction, its records overflowed the emitter's buffer (SRMSG00034), the sends in flight waited on the
 * dead broker, the submission timed out (HTTP 500), and the transaction stayed in progress on a producer nothing could
 * replace: every later study failed too until the planner restarted. Here, a transaction
 * that fails in any way discards its producer ({@code close} without waiting); the next study makes a new one, whose
 * {@code initTransactions} under the same transactional id fences the old producer and aborts its open transaction on
 * the broker (which would otherwise abort it after {@code transaction.timeout.ms}). Every blocking step waits at most
 * {@link PlannerConfig#studyPublishTimeout()} ({@code max.block.ms}), so a submission during a broker outage is
 * answered with {@link BrokerUnavailableException} in bounded time.
 */
@ApplicationScoped
public class StudyTransactions {

    private static final Logger LOG = Logger.getLogger(StudyTransactions.class);

    private final Map<String, Object> kafka;
    private final String transactionalId;
    private final Duration timeout;
    /** null until the first study, and after a failed transaction; volatile: {@link #close()} takes no lock */
    private volatile KafkaProducer<String, byte[]> producer;

    /**
     * @param kafka the application's {@code kafka.*} configuration (bootstrap servers, and TLS/SASL settings when the
     *              chart sets them), as the messaging channels get it
     */
    @Inject
    public StudyTransactions(@Identifier("default-kafka-broker") Map<String, Object> kafka, PlannerConfig config) {
        // this worker's: a restarted worker fences its own unfinished transaction
        this(kafka, "qwm-planner-studies-" + config.workerId(), config.studyPublishTimeout());
    }

    StudyTransactions(Map<String, Object> kafka, String transactionalId, Duration timeout) {
        this.kafka = kafka;
        this.transactionalId = transactionalId;
        this.timeout = timeout;
    }

    /**
     * Sends {@code records} in one transaction and commits it; consumers reading committed records see all of them or,
     * if this throws, none (unless the broker took the commit and its answer was lost: then the study is there, and a
     * second submission with the same study id finds it).
     *
     * @throws BrokerUnavailableException naming the broker's error when the transaction could not be committed
     */
    public synchronized void publish(List<ProducerRecord<String, byte[]>> records) {
        try {
            if (producer == null) {
                producer = newProducer();
            }
            producer.beginTransaction();
            // A send that fails (e.g. its topic's metadata not refreshed within max.block.ms, the broker gone) does not
            // throw: it completes its callback with the error. Each further send would wait max.block.ms again, so
            // the first failure ends the loop (the commit would fail on it anyway).
            AtomicReference<Exception> failed = new AtomicReference<>();
            Callback firstFailure = (metadata, e) -> {
                if (e != null) {
                    failed.compareAndSet(null, e);
                }
            };
            for (ProducerRecord<String, byte[]> r : records) {
                if (failed.get() != null) {
                    throw new KafkaException("sending the study's records failed", failed.get());
                }
                producer.send(r, firstFailure);
            }
            producer.commitTransaction();
        } catch (KafkaException | IllegalStateException e) {
            discard();
            throw new BrokerUnavailableException("the study was not published: its Kafka transaction failed ("
                    + describe(e) + "); is the broker at " + kafka.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)
                    + " up? Submit it again with the same study_id once it is (a study the broker did take is then"
                    + " found, not published twice)", e);
        }
    }

    private KafkaProducer<String, byte[]> newProducer() {
        Map<String, Object> config = new HashMap<>();
        kafka.forEach((k, v) -> {
            if (ProducerConfig.configNames().contains(k)) {
                config.put(k, v);
            }
        });
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
        // one episode request per record batch: a worker fetches one batch at a time (fetch.max.bytes=1 in
        // application.properties) and so takes its partitions in turn episode by episode, not dozens at a time
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 0);
        // a live transaction lasts at most its sends and its commit; one left open by a dead planner is aborted by
        // the broker after this long, so that it does not hold back consumers reading committed records for longer
        config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) (2 * timeout.toMillis()));
        KafkaProducer<String, byte[]> p = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        try {
            p.initTransactions();
        } catch (RuntimeException e) {
            p.close(Duration.ZERO);
            throw e;
        }
        return p;
    }

    private void discard() {
        if (producer != null) {
            try {
                producer.close(Duration.ZERO);
            } catch (RuntimeException e) {
                LOG.debugf(e, "closing the failed study producer");
            }
            producer = null;
        }
    }

    /** The error and, when it wraps one, its cause: what the broker (or its absence) said. */
    static String describe(Throwable e) {
        String s = e.getClass().getSimpleName() + ": " + e.getMessage();
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? s : s + ", caused by " + root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    /** Without the lock: a submission blocked on a dead broker must not hold up the shutdown. */
    @PreDestroy
    void close() {
        KafkaProducer<String, byte[]> p = producer;
        if (p != null) {
            p.close(Duration.ZERO);
        }
    }
}
