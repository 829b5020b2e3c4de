package dev.qwm.collector;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.qwm.api.collector.v1.ArtifactSummary;
import dev.qwm.api.collector.v1.CollectorServiceGrpc;
import dev.qwm.api.collector.v1.GetEpisodeTraceRequest;
import dev.qwm.api.collector.v1.GetEpisodeTraceResponse;
import dev.qwm.api.collector.v1.GetStudyRequest;
import dev.qwm.api.collector.v1.GetStudyResponse;
import dev.qwm.api.collector.v1.ListArtifactsRequest;
import dev.qwm.api.collector.v1.ListArtifactsResponse;
import dev.qwm.api.collector.v1.ListEpisodeResultsRequest;
import dev.qwm.api.collector.v1.ListEpisodeResultsResponse;
import dev.qwm.api.collector.v1.ListStudiesRequest;
import dev.qwm.api.collector.v1.ListStudiesResponse;
import dev.qwm.api.collector.v1.StudySummary;
import dev.qwm.api.common.v1.StudyId;
import dev.qwm.api.events.v1.ArtifactCreated;
import dev.qwm.api.events.v1.EpisodeProgress;
import dev.qwm.testsupport.EmbeddedInfraResource;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What was stored comes back unchanged over gRPC (CollectorService) and HTTP JSON: the events a study published are
 * compared message by message with what both APIs return.
 */
@QuarkusTest
@QuarkusTestResource(EmbeddedInfraResource.class)
class CollectorApiIT {

    @TestHTTPResource("/")
    URL root;

    private ManagedChannel channel;
    private CollectorServiceGrpc.CollectorServiceBlockingStub collector;

    @BeforeEach
    void connect() {
        // gRPC is served on the HTTP port
        channel = ManagedChannelBuilder.forAddress(root.getHost(), root.getPort()).usePlaintext().build();
        collector = CollectorServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void grpcAndHttpReturnWhatWasStored() throws Exception {
        StudyEvents study = new StudyEvents(11, 3, 2, 3);
        try (EventPublisher publisher = new EventPublisher(EmbeddedInfraResource.bootstrapServers())) {
            study.publishAll(publisher);
        }
        new Rows(EmbeddedInfraResource.jdbcUrl(), EmbeddedInfraResource.infrastructure().username(),
                EmbeddedInfraResource.infrastructure().password()).awaitStored(study, Duration.ofSeconds(60));
        StudyId studyId = StudyId.newBuilder().setValue(study.studyId).build();
        StudySummary expectedSummary = StudySummary.newBuilder()
                .setStudyId(studyId)
                .setName(study.study.getName())
                .setEpisodeCount(3)
                .setCompletedCount(3)
                .setSuccessCount((int) study.successCount())
                .setSubmittedAtUnixMs(study.study.getSubmittedAtUnixMs())
                .build();

        // ListStudies / GetStudy
        ListStudiesResponse studies = collector.listStudies(ListStudiesRequest.getDefaultInstance());
        assertTrue(studies.getStudiesList().contains(expectedSummary), "ListStudies holds " + expectedSummary);
        assertEquals(studies, http("/api/v1/studies", ListStudiesResponse.newBuilder()));
        GetStudyResponse studyResponse = collector.getStudy(GetStudyRequest.newBuilder().setStudyId(studyId).build());
        assertEquals(GetStudyResponse.newBuilder().setSummary(expectedSummary).setSpecJson(study.study.getSpecJson())
                .build(), studyResponse);
        assertEquals(studyResponse, http("/api/v1/studies/" + study.studyId, GetStudyResponse.newBuilder()));

        // ListEpisodeResults: exactly the published completions
        ListEpisodeResultsResponse episodes = collector.listEpisodeResults(ListEpisodeResultsRequest.newBuilder()
                .setStudyId(studyId).build());
        assertEquals(study.completions, episodes.getEpisodesList());
        assertEquals(episodes, http("/api/v1/studies/" + study.studyId + "/episodes",
                ListEpisodeResultsResponse.newBuilder()));

        // GetEpisodeTrace: exactly the published progress of episode 1
        GetEpisodeTraceResponse trace = collector.getEpisodeTrace(GetEpisodeTraceRequest.newBuilder()
                .setEpisodeId(study.episodeId(1)).build());
        assertEquals(GetEpisodeTraceResponse.newBuilder()
                .setAttemptId(study.completions.get(1).getAttemptId())
                .addAllMpcIterations(study.progress.stream().filter(p -> p.getEpisodeId().getIndex() == 1)
                        .filter(EpisodeProgress::hasMpcIteration).map(EpisodeProgress::getMpcIteration).toList())
                .addAllCemSteps(study.progress.stream().filter(p -> p.getEpisodeId().getIndex() == 1)
                        .filter(EpisodeProgress::hasCemStep).map(EpisodeProgress::getCemStep).toList())
                .build(), trace);
        assertEquals(trace, http("/api/v1/episodes/" + study.studyId + "/1/trace", GetEpisodeTraceResponse.newBuilder()));

        // ListArtifacts: both artifacts, the quantized one with its source and recipe
        ListArtifactsResponse artifacts = collector.listArtifacts(ListArtifactsRequest.getDefaultInstance());
        assertTrue(artifacts.getArtifactsList().contains(summary(study.encoderArtifact)), "encoder artifact listed");
        assertTrue(artifacts.getArtifactsList().contains(summary(study.predictorArtifact)), "predictor artifact listed");
        assertEquals(artifacts, http("/api/v1/artifacts", ListArtifactsResponse.newBuilder()));
    }

    @Test
    void importedEpisodesComeBackAsTheyWereServedAndAreStoredOnce() throws Exception {
        // a study's episodes as another collector served them (its episode log), imported into this one
        StudyEvents study = new StudyEvents(12, 2, 2, 3);
        StringBuilder body = new StringBuilder("{\"episodes\": [");
        for (int i = 0; i < 2; i++) {
            GetEpisodeTraceResponse trace = expectedTrace(study, i);
            body.append(i == 0 ? "" : ",").append("{\"completed\": ").append(JsonFormat.printer().print(
                    study.completions.get(i))).append(", \"trace\": ").append(JsonFormat.printer().print(trace)).append('}');
        }
        body.append("]}");
        String path = "/api/v1/studies/" + study.studyId + "/import";
        given().contentType("application/json").body(body.toString()).post(path).then().statusCode(200)
                .body("stored", equalTo(2)).body("duplicates", equalTo(0));
        given().contentType("application/json").body(body.toString()).post(path).then().statusCode(200)
                .body("stored", equalTo(0)).body("duplicates", equalTo(2));
        ListEpisodeResultsResponse episodes = http("/api/v1/studies/" + study.studyId + "/episodes",
                ListEpisodeResultsResponse.newBuilder());
        assertEquals(study.completions, episodes.getEpisodesList());
        assertEquals(expectedTrace(study, 1), http("/api/v1/episodes/" + study.studyId + "/1/trace",
                GetEpisodeTraceResponse.newBuilder()));

        given().contentType("application/json").body(body.toString()).post("/api/v1/studies/another-study/import")
                .then().statusCode(400).body("error", containsString("is not an episode of study another-study"));
        given().contentType("application/json").body("{\"episodes\": [{\"completed\": {}}]}").post(path)
                .then().statusCode(400).body("error", containsString("episodes[0]: "));
        given().contentType("application/json").body("{\"episodes\": 3}").post(path)
                .then().statusCode(400).body("error", containsString("an array 'episodes'"));
    }

    private static GetEpisodeTraceResponse expectedTrace(StudyEvents study, int index) {
        return GetEpisodeTraceResponse.newBuilder()
                .setAttemptId(study.completions.get(index).getAttemptId())
                .addAllMpcIterations(study.progress.stream().filter(p -> p.getEpisodeId().getIndex() == index)
                        .filter(EpisodeProgress::hasMpcIteration).map(EpisodeProgress::getMpcIteration).toList())
                .addAllCemSteps(study.progress.stream().filter(p -> p.getEpisodeId().getIndex() == index)
                        .filter(EpisodeProgress::hasCemStep).map(EpisodeProgress::getCemStep).toList())
                .build();
    }

    @Test
    void unknownAndInvalidIdsGetClearErrors() {
        StudyId missing = StudyId.newBuilder().setValue("no-such-study").build();
        StatusRuntimeException notFound = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                () -> collector.getStudy(GetStudyRequest.newBuilder().setStudyId(missing).build()));
        assertEquals(Status.Code.NOT_FOUND, notFound.getStatus().getCode());
        assertEquals("no study no-such-study", notFound.getStatus().getDescription());
        StatusRuntimeException invalid = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                () -> collector.getStudy(GetStudyRequest.getDefaultInstance()));
        assertEquals(Status.Code.INVALID_ARGUMENT, invalid.getStatus().getCode());
        assertEquals(0, collector.listEpisodeResults(ListEpisodeResultsRequest.newBuilder().setStudyId(missing)
                .build()).getEpisodesCount());

        given().get("/api/v1/studies/no-such-study").then().statusCode(404)
                .body("error", equalTo("no study no-such-study"));
        given().get("/api/v1/episodes/no-such-study/0/trace").then().statusCode(404)
                .body("error", equalTo("nothing stored for episode no-such-study/0"));
        given().get("/api/v1/episodes/no-such-study/-1/trace").then().statusCode(400);
    }

    @Test
    void readyWhileTheDatabaseAndTheBrokerAreReachableAndMetricsAreExposed() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 'Kafka broker' }.status", equalTo("UP"))
                .body("checks.find { it.name.contains('Database') }.status", equalTo("UP"));
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("qwm_collector_events_total"));
    }

    private static ArtifactSummary summary(ArtifactCreated e) {
        ArtifactSummary.Builder b = ArtifactSummary.newBuilder().setArtifact(e.getArtifact())
                .setSizeBytes(e.getSizeBytes()).setRecipeJson(e.getRecipeJson()).setManifestJson(e.getManifestJson());
        if (e.hasSource()) {
            b.setSource(e.getSource());
        }
        return b.build();
    }

    @SuppressWarnings("unchecked")
    private static <M extends Message> M http(String path, Message.Builder builder) throws InvalidProtocolBufferException {
        String json = given().get(path).then().statusCode(200).contentType("application/json").extract().asString();
        JsonFormat.parser().merge(json, builder);
        return (M) builder.build();
    }
}
