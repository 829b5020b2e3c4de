package dev.qwm.collector;

import static dev.qwm.collector.EventPublisher.EPISODE_COMPLETED;
import static dev.qwm.collector.EventPublisher.EPISODE_PROGRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.api.collector.v1.GetEpisodeTraceResponse;
import dev.qwm.api.events.v1.EpisodeCompleted;
import dev.qwm.api.events.v1.EpisodeProgress;
import dev.qwm.api.events.v1.EpisodeRequested;
import dev.qwm.collector.messaging.Channels;
import dev.qwm.collector.repository.ResultQueries;
import dev.qwm.testsupport.EmbeddedInfraResource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Events published to a real Kafka broker end up as rows in a real PostgreSQL, exactly once, and malformed ones in the
 * dead-letter topic. The collector runs as in production; the test publishes and reads rows from outside.
 */
@QuarkusTest
@QuarkusTestResource(EmbeddedInfraResource.class)
class CollectorIngestionIT {

    private static final Duration STORED_WITHIN = Duration.ofSeconds(60);

    @Inject
    MeterRegistry meters;

    @Inject
    ResultQueries queries;

    private EventPublisher publisher;
    private Rows rows;

    @BeforeEach
    void connect() {
        publisher = new EventPublisher(EmbeddedInfraResource.bootstrapServers());
        rows = new Rows(EmbeddedInfraResource.jdbcUrl(), EmbeddedInfraResource.infrastructure().username(),
                EmbeddedInfraResource.infrastructure().password());
    }

    @AfterEach
    void disconnect() {
        publisher.close();
    }

    @Test
    void deadLetteredEpisodesAreStoredWithTheirReasonAndEndTheStudy() {
        StudyEvents study = new StudyEvents(31, 3, 1, 1);
        publisher.studySubmitted(study.study);
        study.requests.forEach(publisher::episodeRequested);
        publisher.episodeCompleted(study.completions.get(0));
        publisher.episodeCompleted(study.completions.get(1));
        String reason = "episode request " + study.studyId + "/2 cannot be planned: seed must be between 0 and 2^32 - 1, got -97";
        publisher.episodeDeadLettered(study.requests.get(2), reason);
        publisher.episodeDeadLettered(study.requests.get(2), reason); // redelivered: stored once
        // a dead letter of an episode that has a result (a redone request refused later) does not take it away
        publisher.episodeDeadLettered(study.requests.get(0), "late refusal");
        publisher.flush();

        Awaitility.await("the dead-lettered episode").atMost(STORED_WITHIN).pollInterval(Duration.ofMillis(200))
                .until(() -> queries.getStudy(study.studyId).map(s -> s.getSummary().getFailedCount() == 1
                        && s.getSummary().getCompletedCount() == 2).orElse(false));
        var stored = queries.getStudy(study.studyId).orElseThrow();
        assertEquals(3, stored.getSummary().getEpisodeCount());
        assertEquals(1, stored.getFailuresCount());
        assertEquals(2, stored.getFailures(0).getEpisodeIndex());
        assertEquals(reason, stored.getFailures(0).getReason());
        assertEquals(study.requests.get(2).getConfiguration(), stored.getFailures(0).getConfiguration());
        Awaitility.await("the late refusal consumed").atMost(STORED_WITHIN).pollInterval(Duration.ofMillis(200))
                .until(() -> rows.count("SELECT count(*) FROM processed_events WHERE consumer = ?",
                        Channels.EPISODE_DEAD_LETTERED) == 2);
        assertEquals(1, queries.getStudy(study.studyId).orElseThrow().getSummary().getFailedCount());
        assertTrue(queries.listEpisodeResults(study.studyId).getEpisodesList().stream()
                .anyMatch(e -> e.getEpisodeId().getIndex() == 0), "episode 0 keeps its result");
    }

    @Test
    void eventsPublishedToTheBrokerAreFoundAsRows() {
        StudyEvents study = new StudyEvents(1, 4, 3, 2);
        study.publishAll(publisher);

        rows.awaitStored(study, STORED_WITHIN);

        String id = study.studyId;
        assertEquals(study.study.getName(), rows.text("SELECT name FROM studies WHERE study_id = ?", id));
        assertEquals(study.study.getSpecJson(), rows.text("SELECT spec_json FROM studies WHERE study_id = ?", id));
        assertEquals(study.successCount(), rows.count("SELECT count(*) FROM episodes WHERE study_id = ? AND success", id));
        EpisodeCompleted third = study.completions.get(2);
        assertEquals(third.getAttemptId(), rows.text("SELECT attempt_id FROM episodes WHERE study_id = ?"
                + " AND episode_index = 2", id));
        assertEquals("ENVIRONMENT_ID_WALL", rows.text("SELECT environment FROM episodes WHERE study_id = ?"
                + " AND episode_index = 2", id));
        assertEquals(Long.toString(third.getWallTimeMs()), rows.text("SELECT wall_time_ms FROM episodes"
                + " WHERE study_id = ? AND episode_index = 2", id));
        assertEquals(study.predictorArtifact.getSource().getSha256(), rows.text("SELECT source_sha256 FROM artifacts"
                + " WHERE sha256 = ?", study.predictorArtifact.getArtifact().getSha256()));
        // every cem step of an attempt of episode 1 is there with its attempt id
        assertEquals(3 * 2, rows.count("SELECT count(*) FROM cem_steps WHERE study_id = ? AND episode_index = 1"
                + " AND attempt_id = ?", id, study.completions.get(1).getAttemptId()));
    }

    @Test
    void theSameEventsPublishedTwiceLeaveOneRowPerEvent() {
        StudyEvents study = new StudyEvents(2, 3, 2, 2);
        study.publishAll(publisher);
        rows.awaitStored(study, STORED_WITHIN);
        Map<String, Double> duplicatesBefore = duplicatesByConsumer();

        study.publishAll(publisher);

        // Wait until the collector has read every republished record and recognised it as a duplicate.
        Map<String, Integer> republished = Map.of(
                Channels.STUDY_SUBMITTED, 1,
                Channels.ARTIFACT_CREATED, 2,
                Channels.EPISODE_REQUESTED, study.requests.size(),
                Channels.EPISODE_PROGRESS, study.progress.size(),
                Channels.EPISODE_COMPLETED, study.completions.size());
        Awaitility.await("duplicates recognised").atMost(STORED_WITHIN).untilAsserted(() -> {
            Map<String, Double> now = duplicatesByConsumer();
            republished.forEach((consumer, count) -> assertTrue(
                    now.get(consumer) - duplicatesBefore.get(consumer) >= count,
                    consumer + ": " + (now.get(consumer) - duplicatesBefore.get(consumer)) + " of " + count
                            + " duplicates recognised so far"));
        });
        rows.assertStored(study);
        String id = study.studyId;
        assertEquals(study.requests.size(), rows.count("SELECT count(*) FROM episodes WHERE study_id = ?", id));
        assertEquals(study.cemStepCount(), rows.count("SELECT count(*) FROM cem_steps WHERE study_id = ?", id));
    }

    @Test
    void aRedoneEpisodeIsStoredOnceWithItsFirstCompletion() {
        StudyEvents study = new StudyEvents(3, 1, 2, 2);
        EpisodeRequested request = study.requests.get(0);
        // A first worker planned iteration 0 and went silent; the episode was redone under a new attempt.
        String slowAttempt = "attempt-slow-" + UUID.randomUUID();
        List<EpisodeProgress> slowProgress = study.attemptProgress(0, slowAttempt, 1, 2);
        EpisodeCompleted redone = study.completions.get(0);
        // The slow worker finishes after all, later than the redo: its completion must not replace the result.
        EpisodeCompleted lateCompletion = study.completion(request, slowAttempt, 1);
        // The redo's worker republishes its completion under a new event id (e.g. it retried after a timeout).
        EpisodeCompleted republishedCompletion = redone.toBuilder().setEventId(UUID.randomUUID().toString()).build();

        study.publishAll(publisher); // artifacts, study, request, the redo's progress and completion
        slowProgress.forEach(publisher::episodeProgress);
        publisher.flush();
        rows.awaitStored(study, STORED_WITHIN);
        publisher.episodeCompleted(lateCompletion);
        publisher.episodeCompleted(republishedCompletion);
        publisher.flush();

        String id = study.studyId;
        Awaitility.await("late completions processed").atMost(STORED_WITHIN).untilAsserted(() -> assertEquals(2,
                rows.count("SELECT count(*) FROM processed_events WHERE event_id IN (?, ?)",
                        lateCompletion.getEventId(), republishedCompletion.getEventId())));
        assertEquals(1, rows.count("SELECT count(*) FROM episodes WHERE study_id = ?", id));
        assertEquals(redone.getAttemptId(), rows.text("SELECT attempt_id FROM episodes WHERE study_id = ?", id));
        assertEquals(redone.getEventId(), rows.text("SELECT completion_event_id FROM episodes WHERE study_id = ?", id));
        // Progress keeps both attempts apart ...
        assertEquals(1, rows.count("SELECT count(*) FROM mpc_iterations WHERE study_id = ? AND attempt_id = ?",
                id, slowAttempt));
        assertEquals(2, rows.count("SELECT count(*) FROM mpc_iterations WHERE study_id = ? AND attempt_id = ?",
                id, redone.getAttemptId()));
        // ... and the trace reports the completed attempt only.
        GetEpisodeTraceResponse trace = queries.getEpisodeTrace(id, 0).orElseThrow();
        assertEquals(redone.getAttemptId(), trace.getAttemptId());
        List<EpisodeProgress> redoneProgress = study.progress;
        assertEquals(redoneProgress.stream().filter(EpisodeProgress::hasMpcIteration)
                .map(EpisodeProgress::getMpcIteration).toList(), trace.getMpcIterationsList());
        assertEquals(redoneProgress.stream().filter(EpisodeProgress::hasCemStep)
                .map(EpisodeProgress::getCemStep).toList(), trace.getCemStepsList());
    }

    @Test
    void aMalformedEventGoesToTheDeadLetterTopicWithItsReasonAndTheNextGoodEventIsStored() {
        StudyEvents study = new StudyEvents(4, 1, 1, 1);
        EpisodeCompleted good = study.completions.get(0);
        // Same key for all, so they share a partition: the good event comes right after the bad ones.
        String key = EventPublisher.key(good.getEpisodeId());
        byte[] garbage = "this is not protobuf".getBytes(StandardCharsets.UTF_8);
        byte[] noEventId = good.toBuilder().clearEventId().build().toByteArray();
        String otherId = UUID.randomUUID().toString();
        byte[] noProgressMetrics = EpisodeProgress.newBuilder().setEventId(otherId).setEpisodeId(good.getEpisodeId())
                .setAttemptId(good.getAttemptId()).build().toByteArray();

        publisher.sendAndWait(EPISODE_COMPLETED, key, null, garbage);
        publisher.sendAndWait(EPISODE_COMPLETED, key, null, noEventId);
        publisher.sendAndWait(EPISODE_COMPLETED, key, "not-" + good.getEventId(), good.toByteArray());
        publisher.sendAndWait(EPISODE_PROGRESS, key, otherId, noProgressMetrics);
        publisher.sendAndWait(EPISODE_COMPLETED, key, good.getEventId(), good.toByteArray());

        Awaitility.await("good event stored").atMost(STORED_WITHIN).untilAsserted(() -> assertEquals(good.getAttemptId(),
                rows.text("SELECT attempt_id FROM episodes WHERE study_id = ?", study.studyId)));

        List<ConsumerRecord<String, byte[]>> completedDlq = deadLetters(EPISODE_COMPLETED + ".dlq", key, 3);
        assertEquals(List.of("EpisodeCompleted: the value is not a protobuf EpisodeCompleted",
                        "EpisodeCompleted: has no event_id",
                        "EpisodeCompleted " + good.getEventId() + ": header qwm-event-id says 'not-" + good.getEventId()
                                + "' but the payload's event_id is '" + good.getEventId() + "'"),
                completedDlq.stream().map(r -> reasonUpToDetail(header(r, "dead-letter-reason"))).toList());
        assertEquals(new String(garbage, StandardCharsets.UTF_8),
                new String(completedDlq.get(0).value(), StandardCharsets.UTF_8), "the dead letter keeps the bytes");
        for (ConsumerRecord<String, byte[]> r : completedDlq) {
            assertEquals(EPISODE_COMPLETED, header(r, "dead-letter-topic"));
            assertTrue(header(r, "dead-letter-offset") != null, "original offset recorded");
        }
        List<ConsumerRecord<String, byte[]>> progressDlq = deadLetters(EPISODE_PROGRESS + ".dlq", key, 1);
        assertEquals("EpisodeProgress " + otherId + ": carries neither cem_step nor mpc_iteration metrics",
                header(progressDlq.get(0), "dead-letter-reason"));
        assertEquals(0, rows.count("SELECT count(*) FROM processed_events WHERE event_id = ?", otherId));
    }

    /** The reason without the parser's detail in parentheses, which is protobuf's wording, not ours. */
    private static String reasonUpToDetail(String reason) {
        int detail = reason.indexOf(" (");
        return detail < 0 ? reason : reason.substring(0, detail);
    }

    private Map<String, Double> duplicatesByConsumer() {
        Map<String, Double> duplicates = new HashMap<>();
        for (String consumer : List.of(Channels.STUDY_SUBMITTED, Channels.ARTIFACT_CREATED, Channels.EPISODE_REQUESTED,
                Channels.EPISODE_PROGRESS, Channels.EPISODE_COMPLETED)) {
            Counter counter = meters.find("qwm.collector.events").tags("consumer", consumer, "outcome", "duplicate")
                    .counter();
            duplicates.put(consumer, counter == null ? 0 : counter.count());
        }
        return duplicates;
    }

    /** Reads the dead-letter topic from its start until {@code expected} records with {@code key} are found. */
    private static List<ConsumerRecord<String, byte[]>> deadLetters(String topic, String key, int expected) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedInfraResource.bootstrapServers());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // asking for a topic that does not exist yet must not create it with the wrong settings
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
            Awaitility.await("dead letters on " + topic).atMost(STORED_WITHIN).until(() -> {
                if (consumer.assignment().isEmpty()) {
                    List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(5)).stream()
                            .map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toList());
                    if (partitions.isEmpty()) {
                        return false; // the topic is created by the first dead letter
                    }
                    consumer.assign(partitions);
                    consumer.seekToBeginning(partitions);
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (key.equals(r.key())) {
                        found.add(r);
                    }
                }
                return found.size() >= expected;
            });
            assertEquals(expected, found.size(), "dead letters with key " + key);
            return found;
        }
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
