package dev.qwm.planner.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.qwm.infra.EmbeddedInfrastructure;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * A worker takes its partitions in turn. Episode requests published by a study's transaction ({@link
 * StudyTransactions}, the planner's own publisher) are read, against a real broker, by a consumer configured with the
 * planner's {@code mp.messaging.incoming.episode-requests.*} Kafka settings from {@code application.properties}, one
 * record per poll as the worker reads them: every partition must come up within the first two rounds. Before the fix, a
 * worker buffered all its partitions in one fetch and drained them one after the other, and the partitions last in its
 * fetch order waited for a day behind episodes that each take minutes (two of sixteen partitions of the Wall study were
 * never planned across five restarts).
 */
class EpisodeRequestFairnessIT {

    private static final String TOPIC = "fairness.episode-requested";
    private static final int PARTITIONS = 4;
    private static final int PER_PARTITION = 30;
    private static final String CHANNEL = "mp.messaging.incoming.episode-requests.";

    @Test
    void aWorkerTakesEveryPartitionInTurnNotOneAfterTheOther() throws Exception {
        try (EmbeddedInfrastructure infra = EmbeddedInfrastructure.start()) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", infra.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1))).all().get(60, TimeUnit.SECONDS);
            }
            List<ProducerRecord<String, byte[]>> study = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                for (int i = 0; i < PER_PARTITION; i++) {
                    study.add(new ProducerRecord<>(TOPIC, p, "study/" + p + "-" + i,
                            ("episode request " + i).getBytes(StandardCharsets.UTF_8)));
                }
            }
            StudyTransactions publisher = new StudyTransactions(Map.of("bootstrap.servers", infra.bootstrapServers()),
                    "qwm-planner-studies-fairness-it", Duration.ofSeconds(30));
            try {
                publisher.publish(study);
            } finally {
                publisher.close();
            }

            List<Integer> order = new ArrayList<>();
            try (KafkaConsumer<String, byte[]> worker = new KafkaConsumer<>(plannerConsumerConfig(infra),
                    new StringDeserializer(), new ByteArrayDeserializer())) {
                worker.subscribe(List.of(TOPIC));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (order.size() < 2 * PARTITIONS && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, byte[]> r : worker.poll(Duration.ofMillis(500))) {
                        order.add(r.partition());
                    }
                }
            }
            assertEquals(2 * PARTITIONS, order.size(), "records read: " + order);
            // a producer batch may hold a record or two more than one (the broker returns whole batches)
            assertEquals(PARTITIONS, new TreeSet<>(order).size(), "the first " + 2 * PARTITIONS + " episode requests"
                    + " a worker takes come from every partition, not from one after the other; partitions in the"
                    + " order read: " + order);
        }
    }

    /** The planner's Kafka consumer settings for episode requests, as its application.properties gives them. */
    private static Map<String, Object> plannerConsumerConfig(EmbeddedInfrastructure infra) {
        Properties app = new Properties();
        try (InputStream in = EpisodeRequestFairnessIT.class.getResourceAsStream("/application.properties")) {
            app.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Object> config = new HashMap<>();
        for (String key : app.stringPropertyNames()) {
            if (key.startsWith(CHANNEL) && ConsumerConfig.configNames().contains(key.substring(CHANNEL.length()))) {
                config.put(key.substring(CHANNEL.length()), withDefaults(app.getProperty(key)));
            }
        }
        config.remove(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG);
        config.remove(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG);
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, infra.bootstrapServers());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        assertEquals("1", config.get(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), "the worker reads one episode per poll");
        return config;
    }

    /** {@code ${NAME:default}} as its default: these tests run without the deployment's environment. */
    private static String withDefaults(String value) {
        Matcher m = Pattern.compile("\\$\\{[^:}]+:([^}]*)}").matcher(value);
        return m.replaceAll(r -> Matcher.quoteReplacement(r.group(1)));
    }
}
