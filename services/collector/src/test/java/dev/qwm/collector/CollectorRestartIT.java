package dev.qwm.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.collector.messaging.Channels;
import dev.qwm.infra.EmbeddedInfrastructure;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The packaged collector as a real process, stopped in the middle of a batch and started again: first killed
 * (SIGKILL, a crash: nothing committed since the start), then stopped in order (SIGTERM), then left to finish. Every
 * event must end up stored exactly once, and the events stored before each stop must have been delivered again and
 * recognised as duplicates.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CollectorRestartIT {

    private static final Duration WITHIN = Duration.ofMinutes(3);

    private static EmbeddedInfrastructure infra;
    private static Rows rows;
    /** The collector left running by the restart test, for the readiness test. */
    private static CollectorProcess running;

    @BeforeAll
    static void startInfrastructure() {
        infra = EmbeddedInfrastructure.start();
        rows = new Rows(infra.jdbcUrl(), infra.username(), infra.password());
    }

    @AfterAll
    static void stopInfrastructure() {
        if (running != null) {
            running.close();
        }
        if (infra != null) {
            infra.close();
        }
    }

    @Test
    @Order(1)
    void aCollectorStoppedAndRestartedInTheMiddleOfABatchStoresEveryEventOnce() {
        // Two batches: the first is under way when run 1 crashes, the second when run 2 is stopped.
        StudyEvents first = new StudyEvents(21, 60, 3, 5);
        StudyEvents second = new StudyEvents(22, 60, 3, 5);
        String[] firstIds = first.eventIds();
        String[] secondIds = second.eventIds();
        try (EventPublisher publisher = new EventPublisher(infra.bootstrapServers())) {
            first.publishAll(publisher);

            // Run 1 commits no offset before it dies (throttled commits every 10 min), so everything it stored must be
            // read again by the next run. Its short session timeout lets the broker drop the dead member after 6 s
            // instead of 45 s, so run 2's consumers are assigned their partitions sooner.
            Map<String, String> crashingRun = new HashMap<>();
            for (String channel : Channels.ALL) {
                crashingRun.put("mp.messaging.incoming." + channel + ".auto.commit.interval.ms", "600000");
                crashingRun.put("mp.messaging.incoming." + channel + ".session.timeout.ms", "6000");
            }
            long atKill;
            try (CollectorProcess run1 = CollectorProcess.start(infra, "run-1", crashingRun)) {
                awaitProcessed(firstIds, first.eventCount() / 5);
                run1.kill();
                atKill = processed(firstIds);
            }
            assertTrue(atKill < first.eventCount(), "run 1 was killed after the whole batch (" + atKill + " of "
                    + first.eventCount() + " events stored): nothing was left to test");

            // Run 2 delivers again exactly what run 1 stored, recognises all of it as duplicates, and goes on; it is
            // stopped in order in the middle of the second batch.
            long atStopRequest;
            long atStop;
            double duplicatesSecondRun;
            try (CollectorProcess run2 = CollectorProcess.start(infra, "run-2", Map.of())) {
                rows.awaitStored(first, WITHIN);
                duplicatesSecondRun = run2.events("duplicate");
                second.publishAll(publisher);
                awaitProcessed(secondIds, second.eventCount() / 5);
                atStopRequest = processed(secondIds);
                run2.stop(); // an orderly stop finishes the records in flight, so it may store some more
                atStop = processed(secondIds);
            }
            assertEquals(atKill, duplicatesSecondRun, "duplicates recognised by run 2 = events stored by run 1");
            assertTrue(atStopRequest < second.eventCount(), "run 2 was asked to stop after the whole batch ("
                    + atStopRequest + " of " + second.eventCount() + ")");

            running = CollectorProcess.start(infra, "run-3", Map.of());
            rows.awaitStored(second, WITHIN);
            awaitNoLag();
            System.out.printf("restart test: run 1 stored %d of %d events before it was killed, run 2 recognised all"
                            + " %.0f again as duplicates; run 2 had stored %d of %d when asked to stop and %d when"
                            + " stopped, run 3 recognised %.0f duplicates; %s%n", atKill, first.eventCount(),
                    duplicatesSecondRun, atStopRequest, second.eventCount(), atStop, running.events("duplicate"),
                    rows.text("SELECT round(count(*) / extract(epoch FROM max(processed_at) - min(processed_at)))"
                            + " || ' events/s stored from batch 2' FROM processed_events WHERE event_id = ANY (?)",
                            (Object) secondIds));
        }

        // Exactly one row per event, and every event recorded once in the ledger.
        for (StudyEvents study : List.of(first, second)) {
            rows.assertStored(study);
            String[] ids = study.eventIds();
            assertEquals(ids.length, rows.count("SELECT count(DISTINCT event_id) FROM processed_events"
                    + " WHERE event_id = ANY (?)", (Object) ids));
            assertEquals(study.cemStepCount(), rows.count("SELECT count(*) FROM cem_steps WHERE study_id = ?",
                    study.studyId));
            assertEquals(study.mpcIterationCount(), rows.count("SELECT count(*) FROM mpc_iterations"
                    + " WHERE study_id = ?", study.studyId));
            assertEquals(study.requests.size(), rows.count("SELECT count(*) FROM episodes WHERE study_id = ?",
                    study.studyId));
            assertEquals(study.successCount(), rows.count("SELECT count(*) FROM episodes WHERE study_id = ?"
                    + " AND success", study.studyId));
        }
    }

    @Test
    @Order(2)
    void readyOnlyWhileTheDatabaseAndTheBrokerAreReachable() {
        if (running == null) {
            running = CollectorProcess.start(infra, "readiness", Map.of());
        }
        assertEquals(200, running.get("/q/health/ready").statusCode());

        infra.postgres().close();
        HttpResponse<String> withoutDatabase = awaitReadiness(503);
        assertTrue(withoutDatabase.body().contains("\"status\": \"DOWN\""), withoutDatabase.body());

        infra.kafka().close();
        HttpResponse<String> withoutBroker = awaitReadiness(503);
        String kafkaCheck = withoutBroker.body().substring(withoutBroker.body().indexOf("\"Kafka broker\""));
        assertTrue(kafkaCheck.contains("\"DOWN\""), withoutBroker.body());
    }

    private static HttpResponse<String> awaitReadiness(int status) {
        return Awaitility.await("readiness " + status).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> running.get("/q/health/ready"), r -> r.statusCode() == status);
    }

    private static long processed(String[] ids) {
        return rows.count("SELECT count(*) FROM processed_events WHERE event_id = ANY (?)", (Object) ids);
    }

    private static void awaitProcessed(String[] ids, long atLeast) {
        Awaitility.await(atLeast + " events stored").atMost(WITHIN).pollInterval(Duration.ofMillis(50))
                .until(() -> processed(ids) >= atLeast);
    }

    /** Waits until every consumer group of the collector has committed the end of every partition. */
    private static void awaitNoLag() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, infra.bootstrapServers()))) {
            Awaitility.await("no consumer lag").atMost(WITHIN).pollInterval(Duration.ofMillis(500)).until(() -> {
                for (String channel : Channels.ALL) {
                    if (channel.equals(Channels.EPISODE_DEAD_LETTERED)) {
                        continue; // this test dead-letters nothing: that group never commits an offset
                    }
                    Map<TopicPartition, OffsetAndMetadata> committed = admin
                            .listConsumerGroupOffsets(Map.of("qwm-collector." + channel, new ListConsumerGroupOffsetsSpec()))
                            .partitionsToOffsetAndMetadata("qwm-collector." + channel).get(10, TimeUnit.SECONDS);
                    Set<String> topics = committed.keySet().stream().map(TopicPartition::topic).collect(Collectors.toSet());
                    if (topics.isEmpty()) {
                        return false;
                    }
                    List<TopicPartition> partitions = admin.describeTopics(topics).allTopicNames().get(10, TimeUnit.SECONDS)
                            .values().stream()
                            .flatMap(t -> t.partitions().stream().map(p -> new TopicPartition(t.name(), p.partition())))
                            .toList();
                    Map<TopicPartition, Long> ends = admin.listOffsets(partitions.stream()
                                    .collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())))
                            .all().get(10, TimeUnit.SECONDS).entrySet().stream()
                            .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
                    for (TopicPartition p : partitions) {
                        long end = ends.get(p);
                        OffsetAndMetadata at = committed.get(p);
                        if (end > 0 && (at == null || at.offset() < end)) {
                            return false;
                        }
                    }
                }
                return true;
            });
        }
    }
}
