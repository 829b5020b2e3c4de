package dev.qwm.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.infra.EmbeddedInfrastructure;
import dev.qwm.infra.ServiceProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * The broker killed (SIGKILL) in the middle of a study's submission: the packaged planner has written part of the
 * study's transaction (a read_uncommitted reader sees its first episode requests, a read_committed one nothing) when
 * it is frozen (SIGSTOP, so that it cannot finish the transaction first) and the broker is killed. Let go while the
 * broker is down, the planner answers that submission 503, naming the broker. The broker is started again on its
 * data, and the first submission of the same study after that is taken (201), without restarting the planner; the
 * study is then there exactly once: one StudySubmitted and every episode request once, none lost, none doubled (the
 * part written before the kill is never readable). No step depends on how fast the machine is, only on deadlines
 * (the planner's 25 s per broker step, minutes here).
 */
class StudySubmissionBrokerKillIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Path ROOT = Path.of(System.getProperty("qwm.root", "../..")).toAbsolutePath().normalize();
    private static final String STUDIES = "qwm.studies.study-submitted.v1";
    private static final String REQUESTS = "qwm.planner.episode-requested.v1";
    private static final int EPISODES = 5000;
    private static final int CONFIGURATIONS = 2;

    @Test
    void aStudyWhoseSubmissionTheBrokerDiedInIsRefusedThenStoredOnceWhenSubmittedAgain() throws Exception {
        try (EmbeddedInfrastructure infra = EmbeddedInfrastructure.start()) {
            Map<String, String> config = new HashMap<>();
            config.put("kafka.bootstrap.servers", infra.bootstrapServers());
            config.put("qwm.bundle-roots", ROOT.resolve("models").toString());
            // the study endpoint alone: no worker takes the requests, and no predictor is needed to be ready
            config.put("mp.messaging.incoming.episode-requests.enabled", "false");
            config.put("quarkus.smallrye-health.check.\"dev.qwm.planner.health.PredictorReachable\".enabled", "false");
            String study = null;
            String studyId = null;
            try (ServiceProcess planner = ServiceProcess.packaged("planner", "broker-kill", config, Map.of(),
                    Duration.ofMinutes(2))) {
                String url = "http://127.0.0.1:" + planner.port() + "/api/v1/studies";
                CompletableFuture<HttpResponse<String>> first = null;
                // Part of the transaction is on the broker, and none of it committed: the planner is frozen there.
                // Should it have committed the whole study before it froze, the freeze is tried on a new study.
                for (int attempt = 1; first == null; attempt++) {
                    study = study("broker-kill-" + attempt + "-" + System.nanoTime());
                    studyId = JSON.readTree(study).path("study_id").asText();
                    CompletableFuture<HttpResponse<String>> submission;
                    try (UncommittedWatch watch = new UncommittedWatch(infra.bootstrapServers(), studyId)) {
                        submission = HTTP.sendAsync(post(url, study), HttpResponse.BodyHandlers.ofString());
                        watch.awaitFirst(submission);
                    }
                    signal("STOP", planner.pid());
                    if (records(infra.bootstrapServers(), REQUESTS, studyId, "read_committed").isEmpty()) {
                        first = submission;
                    } else {
                        signal("CONT", planner.pid());
                        HttpResponse<String> whole = submission.get(5, TimeUnit.MINUTES);
                        assertEquals(201, whole.statusCode(), whole.body());
                        assertTrue(attempt < 10, "the planner committed the whole study before it froze, 10 times");
                    }
                }
                int written = records(infra.bootstrapServers(), REQUESTS, studyId, "read_uncommitted").size();
                System.out.printf("broker kill: %d of %d episode requests written, none committed, when the broker"
                        + " was killed%n", written, EPISODES * CONFIGURATIONS);
                assertTrue(written > 0 && written < EPISODES * CONFIGURATIONS, written + " requests written");
                infra.killKafka();
                long resumed = System.nanoTime();
                signal("CONT", planner.pid());

                // the broker is down: the submission it died in is refused, by name, in bounded time
                HttpResponse<String> answer = first.get(5, TimeUnit.MINUTES);
                System.out.printf("the submission the broker died in, answered %.1f s after the planner went on with"
                        + " the broker down: HTTP %d %s%n", seconds(resumed), answer.statusCode(), answer.body());
                assertEquals(503, answer.statusCode(), answer.body());
                assertTrue(JSON.readTree(answer.body()).path("error").asText().contains("Kafka"), answer.body());

                infra.restartKafka();
                // the first submission after the broker is back is taken, by the same planner
                long again = System.nanoTime();
                HttpResponse<String> taken = HTTP.send(post(url, study), HttpResponse.BodyHandlers.ofString());
                System.out.printf("submitted again once the broker was back: HTTP %d in %.1f s %s%n",
                        taken.statusCode(), seconds(again), taken.body());
                assertEquals(201, taken.statusCode(), taken.body());
                assertEquals(EPISODES * CONFIGURATIONS, JSON.readTree(taken.body()).path("episodes").asInt());
                // and once more: the same study, found, not published twice
                HttpResponse<String> same = HTTP.send(post(url, study), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, same.statusCode(), same.body());
                assertTrue(JSON.readTree(same.body()).path("existing").asBoolean(), same.body());
            }

            List<ConsumerRecord<String, byte[]>> requests = records(infra.bootstrapServers(), REQUESTS, studyId,
                    "read_committed");
            assertEquals(EPISODES * CONFIGURATIONS, requests.size(), "episode requests readable");
            assertEquals(EPISODES * CONFIGURATIONS, requests.stream().map(ConsumerRecord::key).distinct().count(),
                    "every episode requested once");
            assertEquals(1, records(infra.bootstrapServers(), STUDIES, studyId, "read_committed").size(),
                    "the study announced once");
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static String study(String id) throws IOException {
        ObjectNode s = JSON.createObjectNode().put("study_id", id).put("name", "broker-kill")
                .put("environment", "wall").put("episodes", EPISODES);
        var configs = s.putArray("configurations");
        for (int c = 0; c < CONFIGURATIONS; c++) {
            ObjectNode conf = configs.addObject().put("label", "fp32-" + c);
            conf.putObject("encoder").put("bundle", ROOT.resolve("models/wall").toString());
            conf.putObject("predictor").put("bundle", ROOT.resolve("models/wall").toString());
            conf.putObject("budget").put("horizon", 5).put("samples", 8).put("top_k", 4).put("var_scale", 1.0)
                    .put("opt_steps", 2).put("max_iter", 1).put("objective_alpha", 1.0).put("executed_actions", 5);
            conf.put("planner_seed", c);
        }
        return JSON.writeValueAsString(s);
    }

    private static HttpRequest post(String url, String body) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(5))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /**
     * A read_uncommitted reader of the request topic from its end, opened before the submission: it sees the study's
     * first requests as soon as the broker has them (one reader polling, not one per look).
     */
    private static final class UncommittedWatch implements AutoCloseable {
        private final KafkaConsumer<String, byte[]> consumer;
        private final String studyId;

        UncommittedWatch(String bootstrap, String studyId) {
            Properties config = new Properties();
            config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
            this.consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
            this.studyId = studyId;
            List<TopicPartition> partitions = consumer.partitionsFor(REQUESTS, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(p -> consumer.position(p, Duration.ofSeconds(30))); // the end, before the submission
        }

        /** Returns once a request of the study is on the broker, the submission still unanswered. */
        void awaitFirst(CompletableFuture<HttpResponse<String>> submission) {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(5))) {
                    if (r.key() != null && r.key().startsWith(studyId + "/")) {
                        return;
                    }
                }
                if (submission.isDone()) {
                    throw new AssertionError("the submission was answered before any of it could be seen: "
                            + submission.join().statusCode() + " " + submission.join().body());
                }
            }
            throw new AssertionError("no episode request of study " + studyId + " reached the broker in 5 minutes");
        }

        @Override
        public void close() {
            consumer.close(CloseOptions.timeout(Duration.ZERO));
        }
    }

    /** Every record of {@code topic} for the study, read to the end the isolation level allows. */
    private static List<ConsumerRecord<String, byte[]>> records(String bootstrap, String topic, String studyId,
                                                                String isolation) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            while (partitions.stream().anyMatch(p -> consumer.position(p, Duration.ofSeconds(30)) < end.get(p))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && (r.key().equals(studyId) || r.key().startsWith(studyId + "/"))) {
                        out.add(r);
                    }
                }
            }
        }
        return out;
    }

    private static void signal(String signal, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertTrue(kill.waitFor(30, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal + " " + pid);
    }
}
