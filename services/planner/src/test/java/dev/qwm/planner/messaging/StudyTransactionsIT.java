package dev.qwm.planner.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.infra.EmbeddedInfrastructure;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * A study's transaction against a real broker that dies: published while the broker is down, it fails with
 * {@link BrokerUnavailableException} naming the broker, within the deadline (not an endless wait, not a stuck
 * producer); the first one after the broker is back is committed by the same {@link StudyTransactions}, and readers of
 * committed records see each committed study whole and nothing of the failed one.
 */
class StudyTransactionsIT {

    private static final String TOPIC = "qwm.planner.episode-requested.v1";
    private static final int RECORDS = 200;

    @Test
    void aStudyPublishedWhileTheBrokerIsDownIsRefusedAndTheNextOneAfterItIsBackIsCommitted() {
        try (EmbeddedInfrastructure infra = EmbeddedInfrastructure.start()) {
            StudyTransactions studies = new StudyTransactions(Map.of("bootstrap.servers", infra.bootstrapServers()),
                    "qwm-planner-studies-it", Duration.ofSeconds(20));
            try {
                studies.publish(study("before"));

                infra.killKafka();
                BrokerUnavailableException down = assertThrows(BrokerUnavailableException.class,
                        () -> studies.publish(study("down")));
                assertTrue(down.getMessage().startsWith("the study was not published: its Kafka transaction failed"),
                        down.getMessage());
                assertTrue(down.getMessage().contains(infra.bootstrapServers()), down.getMessage());

                infra.restartKafka();
                studies.publish(study("after"));
            } finally {
                studies.close();
            }

            List<ConsumerRecord<String, byte[]>> committed = committed(infra.bootstrapServers());
            assertEquals(RECORDS, count(committed, "before/"), "the study before the outage, whole");
            assertEquals(0, count(committed, "down/"), "nothing of the study published during the outage");
            assertEquals(RECORDS, count(committed, "after/"), "the study after the outage, whole");
            assertEquals(RECORDS, committed.stream().filter(r -> r.key().startsWith("after/"))
                    .map(ConsumerRecord::key).distinct().count(), "each record of it once");
        }
    }

    private static List<ProducerRecord<String, byte[]>> study(String id) {
        return IntStream.range(0, RECORDS).mapToObj(i -> new ProducerRecord<String, byte[]>(TOPIC, id + "/" + i,
                ("episode " + i).getBytes(StandardCharsets.UTF_8))).toList();
    }

    private static long count(List<ConsumerRecord<String, byte[]>> records, String prefix) {
        return records.stream().filter(r -> r.key() != null && r.key().startsWith(prefix)).count();
    }

    /** Every record of the topic that a read_committed reader sees, read up to its end. */
    private static List<ConsumerRecord<String, byte[]>> committed(String bootstrap) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(TOPIC, Duration.ofSeconds(60)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(60));
            while (partitions.stream().anyMatch(p -> consumer.position(p, Duration.ofSeconds(60)) < end.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
