package dev.qwm.planner.study;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.api.common.v1.StudyId;
import dev.qwm.api.events.v1.EpisodeRequested;
import dev.qwm.api.events.v1.StudySubmitted;
import dev.qwm.planner.service.SubmittedStudies;
import dev.qwm.testsupport.EmbeddedInfraResource;
import dev.qwm.testsupport.TopicRecords;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /api/v1/studies} against a real broker: a study is bound from JSON, refused by name when anything is
 * wrong (nothing published then), and otherwise published as one StudySubmitted and one EpisodeRequested per
 * (configuration, episode). This planner's own worker is switched off, so the requests stay on the topic.
 */
@QuarkusTest
@QuarkusTestResource(EmbeddedInfraResource.class)
@TestProfile(StudyResourceIT.NoWorker.class)
class StudyResourceIT {

    public static final class NoWorker implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("mp.messaging.incoming.episode-requests.enabled", "false");
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String study(String id, String extra) {
        String wall = StudyValidationTest.WALL.toString();
        return """
                {"study_id": "%s", "name": "wall pair", "environment": "wall", "episodes": 2, "seed_offset": 1,
                 %s
                 "spec": {"study": {"name": "wall pair"}},
                 "configurations": [
                   {"label": "fp", "encoder": {"bundle": "%s"}, "predictor": {"bundle": "%s"},
                    "budget": {"horizon": 5, "samples": 20, "top_k": 5, "var_scale": 1.0, "opt_steps": 2,
                               "max_iter": 3, "objective_alpha": 1.0, "executed_actions": 5}}]}
                """.formatted(id, extra, wall, wall);
    }

    @Test
    void badStudiesAreRefusedByName() {
        given().contentType(ContentType.JSON).body("{\"name\": ").post("/api/v1/studies")
                .then().statusCode(400).body("error", startsWith("the study is not valid JSON"));
        given().contentType(ContentType.JSON).body(study("s-bad", "\"colour\": \"red\","))
                .post("/api/v1/studies")
                .then().statusCode(400).body("error", startsWith("unknown field 'colour' in the study"));
        given().contentType(ContentType.JSON).body(study("s-bad", "\"split\": \"test\","))
                .post("/api/v1/studies")
                .then().statusCode(400).body("error", equalTo("split must be validation or train, got 'test'"));
        given().contentType(ContentType.JSON).body(study("s-bad", "\"episodes\": \"many\",").replace(
                        "\"episodes\": 2,", ""))
                .post("/api/v1/studies")
                .then().statusCode(400).body("error", startsWith("the study is not valid JSON"));
        assertTrue(records("qwm.studies.study-submitted.v1", "s-bad", 0).isEmpty(), "nothing of a refused study is published");
    }

    @Test
    void aStudyIsPublishedWithOneRequestPerEpisode() throws Exception {
        given().contentType(ContentType.JSON).body(study("s-ok", "")).post("/api/v1/studies")
                .then().statusCode(201).body("study_id", equalTo("s-ok")).body("episodes", equalTo(2));

        List<ConsumerRecord<String, byte[]>> submitted = records("qwm.studies.study-submitted.v1", "s-ok", 1);
        assertEquals(1, submitted.size());
        StudySubmitted s = StudySubmitted.parseFrom(submitted.get(0).value());
        assertEquals("wall pair", s.getName());
        assertEquals(2, s.getEpisodeCount());
        assertEquals(JSON.readTree("{\"study\":{\"name\":\"wall pair\"}}"), JSON.readTree(s.getSpecJson()));
        assertEquals(s.getEventId(), new String(submitted.get(0).headers().lastHeader("qwm-event-id").value(),
                StandardCharsets.UTF_8));

        List<EpisodeRequested> requests = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : records("qwm.planner.episode-requested.v1", "s-ok/", 2)) {
            requests.add(EpisodeRequested.parseFrom(r.value()));
        }
        assertEquals(2, requests.size());
        requests.sort((a, b) -> Integer.compare(a.getEpisodeId().getIndex(), b.getEpisodeId().getIndex()));
        assertEquals(1, requests.get(0).getSeeding().getSeed());
        assertEquals(100, requests.get(1).getSeeding().getSeed());
        assertEquals(5, requests.get(0).getBudget().getTopK());
        assertEquals(StudyValidationTest.WALL.toString(), requests.get(0).getPredictor().getBundle());

        // they went out in one committed transaction of this planner's transactional producer
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(Map.of(
                "bootstrap.servers", EmbeddedInfraResource.bootstrapServers()))) {
            var transactions = admin.listTransactions().all().get();
            assertTrue(transactions.stream().anyMatch(t -> t.transactionalId().startsWith("qwm-planner-studies-")
                    && t.state() == org.apache.kafka.clients.admin.TransactionState.COMPLETE_COMMIT), transactions.toString());
        }
    }

    @Test
    void aStudyIdIsOneStudyTheSameSpecAgainIsItAnotherIsRefused() {
        given().contentType(ContentType.JSON).body(study("s-once", "")).post("/api/v1/studies")
                .then().statusCode(201).body("study_id", equalTo("s-once")).body("existing", equalTo(false));
        given().contentType(ContentType.JSON).body(study("s-once", "")).post("/api/v1/studies")
                .then().statusCode(200).body("study_id", equalTo("s-once")).body("existing", equalTo(true));
        given().contentType(ContentType.JSON).body(study("s-once", "\"seed_offset\": 7,").replace("\"seed_offset\": 1,", ""))
                .post("/api/v1/studies")
                .then().statusCode(409).body("error", startsWith("study s-once exists with another spec"));
        assertEquals(1, records("qwm.studies.study-submitted.v1", "s-once", 1).size(), "published once");
        assertEquals(2, records("qwm.planner.episode-requested.v1", "s-once/", 2).size(), "its episodes once");
    }

    @Test
    void aResumedStudyPublishesOnlyTheEpisodesNotStoredYetAndIsTheSameStudy() throws Exception {
        // a configuration with its own planner seed (FP planned again under another seed), and episode 0 skipped:
        // stored before, on another stack, and imported from the study's episode log
        String resumed = study("s-resumed", "\"skip_episodes\": [0],").replace("\"budget\"", "\"planner_seed\": 5, \"budget\"");
        given().contentType(ContentType.JSON).body(resumed).post("/api/v1/studies")
                .then().statusCode(201).body("study_id", equalTo("s-resumed")).body("episodes", equalTo(2));
        StudySubmitted s = StudySubmitted.parseFrom(records("qwm.studies.study-submitted.v1", "s-resumed", 1).get(0).value());
        assertEquals(2, s.getEpisodeCount(), "the study still has every episode");
        List<ConsumerRecord<String, byte[]>> published = records("qwm.planner.episode-requested.v1", "s-resumed/", 1);
        assertEquals(1, published.size(), "only the episode not stored yet is requested");
        EpisodeRequested r = EpisodeRequested.parseFrom(published.get(0).value());
        assertEquals(1, r.getEpisodeId().getIndex());
        assertEquals(5, r.getPlannerSeed());
        // the same study with another skip list (resumed again) is that study, not a conflict
        given().contentType(ContentType.JSON).body(resumed.replace("[0]", "[0, 1]")).post("/api/v1/studies")
                .then().statusCode(200).body("existing", equalTo(true));
        given().contentType(ContentType.JSON).body(study("s-resumed-bad", "\"skip_episodes\": [2],")).post("/api/v1/studies")
                .then().statusCode(400).body("error", equalTo("skip_episodes: 2 is not an episode of the study (0..1)"));
    }

    @Inject
    SubmittedStudies studies;

    @Test
    void ofTwoPlannersRacingOnOneNewStudyIdTheFirstOnTheTopicIsTheStudyTheOtherIsRefusedAndNotPlanned()
            throws Exception {
        String id = "s-race";
        String otherSha = "b".repeat(64);
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedInfraResource.bootstrapServers());
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "another-planner-" + id);
        try (KafkaProducer<String, byte[]> other = new KafkaProducer<>(config, new StringSerializer(),
                new ByteArraySerializer())) {
            // another planner found the id free and published its own spec of it first, in a transaction still open:
            // this planner's check cannot see it, so both take the new id
            other.initTransactions();
            other.beginTransaction();
            other.send(new ProducerRecord<>("qwm.studies.study-submitted.v1", id, StudySubmitted.newBuilder()
                    .setEventId("another-planner-event").setStudyId(StudyId.newBuilder().setValue(id))
                    .setName("the other spec").setSpecJson("{}").setRequestSha256(otherSha).setEpisodeCount(2)
                    .build().toByteArray())).get();
            CompletableFuture<io.restassured.response.Response> post = CompletableFuture.supplyAsync(() ->
                    given().contentType(ContentType.JSON).body(study(id, "")).post("/api/v1/studies").andReturn());
            // this planner's submission is on the partition behind the other's (read uncommitted): the other commits
            List<ConsumerRecord<String, byte[]>> both = List.of();
            for (int attempt = 0; attempt < 10 && both.size() < 2 && !post.isDone(); attempt++) {
                both = TopicRecords.read("qwm.studies.study-submitted.v1", r -> id.equals(r.key()), 2);
            }
            assertEquals(2, both.size(), "both submissions are on the partition; the POST ended with "
                    + (post.isDone() ? post.get().asString() : "nothing yet"));
            other.commitTransaction();

            io.restassured.response.Response refused = post.get(5, TimeUnit.MINUTES);
            assertEquals(409, refused.statusCode(), refused.asString());
            assertTrue(refused.jsonPath().getString("error").startsWith("study s-race was submitted at the same time"
                    + " with another spec, which came first"), refused.asString());

            String mine = StudySubmitted.parseFrom(both.get(1).value()).getRequestSha256();
            assertTrue(studies.isTheStudy(id, otherSha), "the first submission on the topic is the study");
            assertFalse(studies.isTheStudy(id, mine));
            // this planner's requests went out in its transaction, but carry its submission's hash: a worker skips them
            List<ConsumerRecord<String, byte[]>> requests = records("qwm.planner.episode-requested.v1", id + "/", 2);
            assertEquals(2, requests.size());
            for (ConsumerRecord<String, byte[]> r : requests) {
                assertEquals(mine, EpisodeRequested.parseFrom(r.value()).getStudyRequestSha256());
            }
            // and a third submission of the id with this planner's spec is refused by the check itself
            given().contentType(ContentType.JSON).body(study(id, "")).post("/api/v1/studies")
                    .then().statusCode(409).body("error", startsWith("study s-race exists with another spec"));
        }
    }

    /** The records on {@code topic} whose key starts with {@code keyPrefix}: {@code expected} and any extra. */
    private static List<ConsumerRecord<String, byte[]>> records(String topic, String keyPrefix, int expected) {
        return TopicRecords.read(topic, TopicRecords.keyStartsWith(keyPrefix), expected);
    }
}
