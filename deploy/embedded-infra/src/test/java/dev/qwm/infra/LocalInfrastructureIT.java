package dev.qwm.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** up, status, down, and up again: the servers are real, the data is kept, no process is left behind. */
class LocalInfrastructureIT {

    @TempDir
    Path home;

    @Test
    void upStatusDownUpKeepsDataAndLeavesNoProcess() throws Exception {
        LocalInfrastructure infra = new LocalInfrastructure(home);
        int kafkaPort = Ports.free();
        int controllerPort = Ports.free();
        int pgPort = Ports.free();
        List<String> said = new ArrayList<>();
        try {
            LocalInfrastructure.State first = infra.up(kafkaPort, controllerPort, pgPort, said::add);
            assertTrue(infra.running());
            List<LocalInfrastructure.ServerStatus> status = infra.status();
            assertTrue(status.stream().allMatch(LocalInfrastructure.ServerStatus::running), status.toString());
            assertEquals(kafkaPort, status.get(0).port());
            assertEquals(pgPort, status.get(1).port());

            // Leave data in both servers.
            try (Connection c = DriverManager.getConnection(first.jdbcUrl(), PostgresServer.USER, PostgresServer.PASSWORD);
                 Statement s = c.createStatement()) {
                s.execute("CREATE TABLE kept (v text)");
                s.execute("INSERT INTO kept VALUES ('still here')");
                // the stack's results must survive a crash of the machine: every commit is on disk when it returns
                for (String setting : List.of("fsync", "full_page_writes", "synchronous_commit")) {
                    try (ResultSet r = s.executeQuery("SHOW " + setting)) {
                        assertTrue(r.next());
                        assertEquals("on", r.getString(1), setting);
                    }
                }
            }
            try (var producer = new KafkaProducer<String, String>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, first.bootstrapServers()),
                    new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(Topics.STUDY_SUBMITTED, "k", "kept record")).get();
            }

            List<Long> killed = infra.down(said::add);
            assertTrue(killed.isEmpty(), "servers had to be killed: " + killed);
            assertFalse(Processes.alive(first.kafkaPid()), "Kafka still running");
            assertFalse(Processes.alive(first.postgresPid()), "PostgreSQL still running");
            assertFalse(Ports.listening(kafkaPort));
            assertFalse(Ports.listening(pgPort));

            LocalInfrastructure.State second = infra.up(kafkaPort, controllerPort, pgPort, said::add);
            try (Connection c = DriverManager.getConnection(second.jdbcUrl(), PostgresServer.USER, PostgresServer.PASSWORD);
                 Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT v FROM kept")) {
                assertTrue(r.next());
                assertEquals("still here", r.getString(1));
            }
            assertEquals(List.of("kept record"), readAll(second.bootstrapServers(), Topics.STUDY_SUBMITTED));
        } finally {
            infra.down(said::add);
        }
        infra.state().ifPresent(s -> {
            assertFalse(Processes.alive(s.kafkaPid()));
            assertFalse(Processes.alive(s.postgresPid()));
        });
    }

    private static List<String> readAll(String bootstrap, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> values = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                }
            }
        }
        return values;
    }
}
