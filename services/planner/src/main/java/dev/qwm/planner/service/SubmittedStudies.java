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
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * always seen. The first submission of an id is the study, as in the collector. Two planners taking the same new id in
 * the same instant can both pass; the collector then keeps the first.
 */
@ApplicationScoped
public class SubmittedStudies {

    private static final Logger LOG = Logger.getLogger(SubmittedStudies.class);
    private static final Duration READ_WITHIN = Duration.ofSeconds(30);

    private final Map<String, Object> kafka;
    private final String topic;
    /** study id -> sha256 of its request (of its spec JSON for a submission recorded without it) */
    private final Map<String, String> specs = new HashMap<>();
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

    /** Records a submission this planner just published (the topic will say the same). */
    public synchronized void submitted(String studyId, String requestSha256) {
        specs.putIfAbsent(studyId, requestSha256);
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
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                try {
                    StudySubmitted s = StudySubmitted.parseFrom(r.value());
                    specs.putIfAbsent(s.getStudyId().getValue(),
                            s.getRequestSha256().isEmpty() ? sha256(s.getSpecJson()) : s.getRequestSha256());
                } catch (InvalidProtocolBufferException | NullPointerException e) {
                    LOG.debugf("skipping a record of %s that is not a StudySubmitted (offset %d)", topic, r.offset());
                }
            }
        }
    }

    @PreDestroy
    synchronized void close() {
        if (consumer != null) {
            consumer.close();
        }
    }
}
