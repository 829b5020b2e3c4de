package dev.qwm.planner.service;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.qwm.api.events.v1.StudySubmitted;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.planner.config.PlannerConfig;
import dev.qwm.planner.messaging.BrokerUnavailableException;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Which study ids were submitted, and with which spec: read from the study-submitted topic itself (the record of every
 * submission, whichever planner took it), up to its end at the time of the question, so a study published before is
 * always seen. The first submission of an id on the topic is the study, as in the collector: the topic is keyed by
 * study id, so all submissions of one id are ordered on one partition, and consumers read committed records only.
 *
 * <p>Two planners may both find a new id free and both publish it. Each then waits for its own submission to become
 * readable ({@link #firstRequestHash(String, String)}): every submission before it on the partition is then decided,
 * so both agree on which came first. The other one is refused (409), and its episode requests, already published in
 * its transaction, are not planned: a worker plans a request only if it carries the first submission's hash
 * ({@link #isTheStudy}).
 */
@ApplicationScoped
public class SubmittedStudies {

    private static final Logger LOG = Logger.getLogger(SubmittedStudies.class);

    private final Map<String, Object> kafka;
    private final String topic;
    /** how long the broker may take to answer (its offsets, the records up to them) */
    private final Duration readWithin;
    /**
     * how long a submission may wait behind a transaction still open on its partition: one that a planner left open
     * when it died is aborted by the broker after its transaction timeout (twice the publish timeout, {@code
     * StudyTransactions}) and the next check for timed-out transactions (every 10 s by default)
     */
    private final Duration openTransactionWithin;
    /** study id -> sha256 of its first request (of its spec JSON for a submission recorded without it) */
    private final Map<String, String> specs = new HashMap<>();
    /** every (study id, request sha256) and every event id read from the topic */
    private final Set<String> seen = new HashSet<>();
    private KafkaConsumer<String, byte[]> consumer;

    /**
     * @param kafka the application's {@code kafka.*} configuration (bootstrap servers, and TLS/SASL settings when the
     *              chart sets them), as the messaging channels get it
     */
    public SubmittedStudies(@Identifier("default-kafka-broker") Map<String, Object> kafka,
                            PlannerConfig config) {
        this.kafka = kafka;
        this.topic = config.studyTopic();
        this.readWithin = config.studyPublishTimeout();
        this.openTransactionWithin = config.studyPublishTimeout().multipliedBy(2).plusSeconds(20);
    }

    /** The sha256 of the request study {@code studyId} was first submitted with, or empty if it never was. */
    public synchronized Optional<String> requestHash(String studyId) {
        catchUp();
        return Optional.ofNullable(specs.get(studyId));
    }

    /**
     * The sha256 of the request study {@code studyId} was first submitted with, read once the submission published as
     * event {@code eventId} is readable, so that no earlier submission of the id can still appear.
     *
     * @throws BrokerUnavailableException if it is not readable in time
     */
    public synchronized String firstRequestHash(String studyId, String eventId) {
        awaitSeen("event " + eventId, eventId);
        return specs.get(studyId);
    }

    /**
     * Whether the submission of {@code studyId} with request {@code requestSha256} is the study (the first one on the
     * topic), read once that submission is readable.
     *
     * @throws BrokerUnavailableException if that submission is not readable in time
     */
    public synchronized boolean isTheStudy(String studyId, String requestSha256) {
        awaitSeen("study " + studyId + " with request " + requestSha256, pair(studyId, requestSha256));
        return requestSha256.equals(specs.get(studyId));
    }

    private void awaitSeen(String what, String key) {
        long deadline = System.nanoTime() + openTransactionWithin.toNanos();
        catchUp();
        while (!seen.contains(key)) {
            if (System.nanoTime() > deadline) {
                throw new BrokerUnavailableException("the submission of " + what + " is committed but not readable on "
                        + topic + " within " + openTransactionWithin.toSeconds() + " s (behind a transaction still"
                        + " open?), so whether it came first is not known; submit it again with the same study_id",
                        null);
            }
            // committed, but behind a transaction still open on the partition: readable once that one ends
            poll();
            catchUp();
        }
    }

    private static String pair(String studyId, String requestSha256) {
        return studyId + "\n" + requestSha256;
    }

    /** The sha256 a request is known by: of its canonical JSON (or, recorded without one, of its spec JSON). */
    public static String sha256(String json) {
        return ModelBundle.sha256(json.getBytes(StandardCharsets.UTF_8));
    }

    private void catchUp() {
        try {
            if (consumer == null) {
                consumer = newConsumer();
            }
            Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), readWithin);
            long deadline = System.nanoTime() + readWithin.toNanos();
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey(), readWithin) < e.getValue())) {
                if (System.nanoTime() > deadline) {
                    throw new org.apache.kafka.common.errors.TimeoutException("reading up to the end took longer than "
                            + readWithin.toSeconds() + " s");
                }
                poll();
            }
        } catch (KafkaException e) {
            throw new BrokerUnavailableException("cannot read the submitted studies from " + topic + " ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + "): is the Kafka broker at "
                    + kafka.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG) + " up?", e);
        }
    }

    private void poll() {
        consumer.poll(Duration.ofMillis(200)).forEach(this::read);
    }

    private KafkaConsumer<String, byte[]> newConsumer() {
        Map<String, Object> config = new HashMap<>();
        kafka.forEach((k, v) -> {
            if (ConsumerConfig.configNames().contains(k)) {
                config.put(k, v);
            }
        });
        config.remove(ConsumerConfig.GROUP_ID_CONFIG); // assigned partitions, no group, no commits
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> partitions = c.partitionsFor(topic, readWithin).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            c.assign(partitions);
            c.seekToBeginning(partitions);
            return c;
        } catch (RuntimeException e) {
            c.close(CloseOptions.timeout(Duration.ZERO));
            throw e;
        }
    }

    private void read(ConsumerRecord<String, byte[]> r) {
        try {
            StudySubmitted s = StudySubmitted.parseFrom(r.value());
            String hash = s.getRequestSha256().isEmpty() ? sha256(s.getSpecJson()) : s.getRequestSha256();
            specs.putIfAbsent(s.getStudyId().getValue(), hash);
            seen.add(pair(s.getStudyId().getValue(), hash));
            seen.add(s.getEventId());
        } catch (InvalidProtocolBufferException | NullPointerException e) {
            LOG.debugf("skipping a record of %s that is not a StudySubmitted (offset %d)", topic, r.offset());
        }
    }

    @PreDestroy
    synchronized void close() {
        if (consumer != null) {
            consumer.close();
        }
    }
}
