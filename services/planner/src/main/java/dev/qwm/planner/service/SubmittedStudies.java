package dev.qwm.planner.service;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.qwm.api.events.v1.StudySubmitted;
import dev.qwm.planner.config.PlannerConfig;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
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
    private static final Duration READ_WITHIN = Duration.ofSeconds(60);

    private final Map<String, Object> kafka;
    private final String topic;
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
     * @throws IllegalStateException if it is not readable within 60 s
     */
    public synchronized String firstRequestHash(String studyId, String eventId) {
        awaitSeen("event " + eventId, eventId);
        return specs.get(studyId);
    }

    /**
     * Whether the submission of {@code studyId} with request {@code requestSha256} is the study (the first one on the
     * topic), read once that submission is readable.
     *
     * @throws IllegalStateException if that submission is not readable within 60 s
     */
    public synchronized boolean isTheStudy(String studyId, String requestSha256) {
        awaitSeen("study " + studyId + " with request " + requestSha256, pair(studyId, requestSha256));
        return requestSha256.equals(specs.get(studyId));
    }

    private void awaitSeen(String what, String key) {
        long deadline = System.nanoTime() + READ_WITHIN.toNanos();
        catchUp();
        while (!seen.contains(key)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the submission of " + what + " is not readable on " + topic
                        + " within " + READ_WITHIN.toSeconds() + " s (an earlier transaction still open?)");
            }
            // committed, but behind a transaction still open on the partition: readable once that one ends
            consumer.poll(Duration.ofMillis(200)).forEach(this::read);
            catchUp();
        }
    }

    private static String pair(String studyId, String requestSha256) {
        return studyId + "\n" + requestSha256;
    }

    public static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void catchUp() {
        if (consumer == null) {
            Map<String, Object> config = new HashMap<>();
            kafka.forEach((k, v) -> {
                if (ConsumerConfig.configNames().contains(k)) {
                    config.put(k, v);
                }
            });
            config.remove(ConsumerConfig.GROUP_ID_CONFIG); // assigned partitions, no group, no commits
            config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> partitions = consumer.partitionsFor(topic, READ_WITHIN).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }
        Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), READ_WITHIN);
        long deadline = System.nanoTime() + READ_WITHIN.toNanos();
        while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey(), READ_WITHIN) < e.getValue())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("cannot read the submitted studies from " + topic + " within "
                        + READ_WITHIN.toSeconds() + " s: is the broker up?");
            }
            consumer.poll(Duration.ofMillis(200)).forEach(this::read);
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
