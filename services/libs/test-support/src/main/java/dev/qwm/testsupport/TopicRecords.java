package dev.qwm.testsupport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads back what a service published to the embedded broker, from the beginning of a topic, without a group. */
public final class TopicRecords {

    /** How long reading goes on after the expected records, so that an extra (duplicate) record is seen too. */
    static final Duration QUIET = Duration.ofSeconds(2);
    private static final Duration WITHIN = Duration.ofSeconds(30);

    private TopicRecords() {
    }

    /**
     * The records on {@code topic} that match: waits up to 30 s for {@code expected} of them, then reads for 2 s
     * more (with {@code expected} 0, for 2 s). The caller asserts the count: more than expected is a duplicate.
     */
    public static List<ConsumerRecord<String, byte[]>> read(String topic,
                                                            Predicate<ConsumerRecord<String, byte[]>> matching,
                                                            int expected) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedInfraResource.bootstrapServers());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long quietUntil = expected == 0 ? System.currentTimeMillis() + QUIET.toMillis() : Long.MAX_VALUE;
            long deadline = System.currentTimeMillis() + WITHIN.toMillis();
            while (System.currentTimeMillis() < Math.min(deadline, quietUntil)) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (matching.test(r)) {
                        found.add(r);
                    }
                }
                if (found.size() >= expected && quietUntil == Long.MAX_VALUE) {
                    quietUntil = System.currentTimeMillis() + QUIET.toMillis();
                }
            }
        }
        return found;
    }

    /** Records whose key starts with {@code prefix}. */
    public static Predicate<ConsumerRecord<String, byte[]>> keyStartsWith(String prefix) {
        return r -> r.key() != null && r.key().startsWith(prefix);
    }
}
