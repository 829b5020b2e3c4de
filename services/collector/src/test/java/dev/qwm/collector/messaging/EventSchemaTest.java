package dev.qwm.collector.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.EpisodeId;
import dev.qwm.api.common.v1.StudyId;
import dev.qwm.api.events.v1.ArtifactCreated;
import dev.qwm.api.events.v1.CemStepMetrics;
import dev.qwm.api.events.v1.EpisodeCompleted;
import dev.qwm.api.events.v1.EpisodeProgress;
import dev.qwm.api.events.v1.StudySubmitted;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class EventSchemaTest {

    private static final EpisodeId EPISODE = EpisodeId.newBuilder()
            .setStudyId(StudyId.newBuilder().setValue("s1")).setIndex(3).build();
    private static final EpisodeCompleted COMPLETED = EpisodeCompleted.newBuilder()
            .setEventId("e1").setEpisodeId(EPISODE).setAttemptId("a1").setMpcIterations(4).build();

    @Test
    void aValidEventIsDecodedWithOrWithoutTheHeader() {
        assertEquals(COMPLETED, Channels.EPISODE_COMPLETED_SCHEMA.decode(COMPLETED.toByteArray(), "e1"));
        assertEquals(COMPLETED, Channels.EPISODE_COMPLETED_SCHEMA.decode(COMPLETED.toByteArray(), null));
    }

    @Test
    void unparseableBytesAreMalformed() {
        MalformedEventException e = assertThrows(MalformedEventException.class, () -> Channels.EPISODE_COMPLETED_SCHEMA
                .decode("this is not protobuf".getBytes(StandardCharsets.UTF_8), null));
        assertTrue(e.getMessage().startsWith("EpisodeCompleted: the value is not a protobuf EpisodeCompleted ("),
                e.getMessage());
        assertEquals("EpisodeCompleted: the record has no value", assertThrows(MalformedEventException.class,
                () -> Channels.EPISODE_COMPLETED_SCHEMA.decode(new byte[0], null)).getMessage());
        assertEquals("EpisodeCompleted: the record has no value", assertThrows(MalformedEventException.class,
                () -> Channels.EPISODE_COMPLETED_SCHEMA.decode(null, null)).getMessage());
    }

    @Test
    void missingIdsAreMalformedAndNamed() {
        assertReason("EpisodeCompleted: has no event_id", Channels.EPISODE_COMPLETED_SCHEMA,
                COMPLETED.toBuilder().clearEventId().build().toByteArray());
        assertReason("EpisodeCompleted e1: has no episode_id", Channels.EPISODE_COMPLETED_SCHEMA,
                COMPLETED.toBuilder().clearEpisodeId().build().toByteArray());
        assertReason("EpisodeCompleted e1: has no episode_id.study_id", Channels.EPISODE_COMPLETED_SCHEMA,
                COMPLETED.toBuilder().setEpisodeId(EPISODE.toBuilder().clearStudyId()).build().toByteArray());
        assertReason("EpisodeCompleted e1: episode_id.index is negative (-1)", Channels.EPISODE_COMPLETED_SCHEMA,
                COMPLETED.toBuilder().setEpisodeId(EPISODE.toBuilder().setIndex(-1)).build().toByteArray());
        assertReason("EpisodeCompleted e1: has no attempt_id", Channels.EPISODE_COMPLETED_SCHEMA,
                COMPLETED.toBuilder().clearAttemptId().build().toByteArray());
        assertReason("StudySubmitted s: has no study_id", Channels.STUDY_SUBMITTED_SCHEMA,
                StudySubmitted.newBuilder().setEventId("s").setSpecJson("{}").build().toByteArray());
    }

    @Test
    void aHeaderThatContradictsThePayloadIsMalformed() {
        MalformedEventException e = assertThrows(MalformedEventException.class,
                () -> Channels.EPISODE_COMPLETED_SCHEMA.decode(COMPLETED.toByteArray(), "e2"));
        assertEquals("EpisodeCompleted e1: header qwm-event-id says 'e2' but the payload's event_id is 'e1'",
                e.getMessage());
    }

    @Test
    void invalidValuesAreMalformed() {
        assertReason("EpisodeProgress p: carries neither cem_step nor mpc_iteration metrics",
                Channels.EPISODE_PROGRESS_SCHEMA, EpisodeProgress.newBuilder().setEventId("p").setEpisodeId(EPISODE)
                        .setAttemptId("a").build().toByteArray());
        assertReason("EpisodeProgress p: cem_step.cem_step is negative (-2)", Channels.EPISODE_PROGRESS_SCHEMA,
                EpisodeProgress.newBuilder().setEventId("p").setEpisodeId(EPISODE).setAttemptId("a")
                        .setCemStep(CemStepMetrics.newBuilder().setCemStep(-2)).build().toByteArray());
        MalformedEventException badJson = assertThrows(MalformedEventException.class,
                () -> Channels.STUDY_SUBMITTED_SCHEMA.decode(StudySubmitted.newBuilder().setEventId("s")
                        .setStudyId(StudyId.newBuilder().setValue("x")).setSpecJson("{\"a\": ").build()
                        .toByteArray(), null));
        assertTrue(badJson.getMessage().startsWith("StudySubmitted s: spec_json is not valid JSON ("),
                badJson.getMessage());
        assertReason("ArtifactCreated a: artifact.sha256 is not 64 lower-case hex digits ('abc')",
                Channels.ARTIFACT_CREATED_SCHEMA, ArtifactCreated.newBuilder().setEventId("a")
                        .setArtifact(ArtifactRef.newBuilder().setSha256("abc")).build().toByteArray());
        assertReason("EpisodeCompleted e1: completed_at_unix_ms is not a plausible unix time in ms"
                        + " (1790000000000000000)", Channels.EPISODE_COMPLETED_SCHEMA,
                COMPLETED.toBuilder().setCompletedAtUnixMs(1_790_000_000_000_000_000L).build().toByteArray());
    }

    @Test
    void dataErrorsOfTheDatabaseAreTheEventsFaultAndOthersAreTransient() {
        assertTrue(EventIngestion.isDataError(new SQLException("invalid byte sequence", "22021")));
        assertTrue(EventIngestion.isDataError(new SQLException("check violation", "23514")));
        assertEquals(false, EventIngestion.isDataError(new SQLException("connection refused", "08001")));
        assertEquals(false, EventIngestion.isDataError(new SQLException("serialization failure", "40001")));
        assertEquals(false, EventIngestion.isDataError(new SQLException("Sorry, acquisition timeout!")));
    }

    private static void assertReason(String reason, EventSchema<?> schema, byte[] value) {
        assertEquals(reason, assertThrows(MalformedEventException.class, () -> schema.decode(value, null)).getMessage());
    }
}
