package dev.qwm.collector.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.EpisodeId;
import dev.qwm.api.events.v1.ArtifactCreated;
import dev.qwm.api.events.v1.EpisodeCompleted;
import dev.qwm.api.events.v1.EpisodeProgress;
import dev.qwm.api.events.v1.EpisodeRequested;
import dev.qwm.api.events.v1.StudySubmitted;
import java.util.regex.Pattern;

/**
 * The checks an event must pass before it is stored. Each failure names the event type, its id when it has one,
 * and the field at fault; the message travels to the dead-letter topic as the reason.
 */
public final class EventValidation {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long LATEST_UNIX_MS = 253_402_300_799_999L; // 9999-12-31T23:59:59.999Z
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private EventValidation() {
    }

    public static void studySubmitted(StudySubmitted e) {
        String what = "StudySubmitted " + requireEventId("StudySubmitted", e.getEventId());
        requireText(what, "study_id", e.getStudyId().getValue());
        if (e.getEpisodeCount() < 0) {
            throw new MalformedEventException(what + ": episode_count is negative (" + e.getEpisodeCount() + ")");
        }
        requireText(what, "spec_json", e.getSpecJson());
        requireJson(what, "spec_json", e.getSpecJson());
        requireTimestamp(what, "submitted_at_unix_ms", e.getSubmittedAtUnixMs());
    }

    public static void episodeRequested(EpisodeRequested e) {
        String what = "EpisodeRequested " + requireEventId("EpisodeRequested", e.getEventId());
        requireEpisodeId(what, e.hasEpisodeId(), e.getEpisodeId());
    }

    public static void episodeProgress(EpisodeProgress e) {
        String what = "EpisodeProgress " + requireEventId("EpisodeProgress", e.getEventId());
        requireEpisodeId(what, e.hasEpisodeId(), e.getEpisodeId());
        requireText(what, "attempt_id", e.getAttemptId());
        switch (e.getMetricsCase()) {
            case CEM_STEP -> {
                requireNonNegative(what, "cem_step.mpc_iteration", e.getCemStep().getMpcIteration());
                requireNonNegative(what, "cem_step.cem_step", e.getCemStep().getCemStep());
            }
            case MPC_ITERATION -> requireNonNegative(what, "mpc_iteration.mpc_iteration",
                    e.getMpcIteration().getMpcIteration());
            case METRICS_NOT_SET -> throw new MalformedEventException(what
                    + ": carries neither cem_step nor mpc_iteration metrics");
        }
    }

    public static void episodeCompleted(EpisodeCompleted e) {
        String what = "EpisodeCompleted " + requireEventId("EpisodeCompleted", e.getEventId());
        requireEpisodeId(what, e.hasEpisodeId(), e.getEpisodeId());
        requireText(what, "attempt_id", e.getAttemptId());
        requireNonNegative(what, "mpc_iterations", e.getMpcIterations());
        requireTimestamp(what, "completed_at_unix_ms", e.getCompletedAtUnixMs());
    }

    public static void artifactCreated(ArtifactCreated e) {
        String what = "ArtifactCreated " + requireEventId("ArtifactCreated", e.getEventId());
        if (!e.hasArtifact()) {
            throw new MalformedEventException(what + ": has no artifact");
        }
        requireSha256(what, "artifact.sha256", e.getArtifact());
        if (e.hasSource() && !e.getSource().getSha256().isEmpty()) {
            requireSha256(what, "source.sha256", e.getSource());
        }
        if (e.getSizeBytes() < 0) {
            throw new MalformedEventException(what + ": size_bytes is negative (" + e.getSizeBytes() + ")");
        }
        requireJson(what, "recipe_json", e.getRecipeJson());
        requireJson(what, "manifest_json", e.getManifestJson());
        requireTimestamp(what, "created_at_unix_ms", e.getCreatedAtUnixMs());
    }

    private static String requireEventId(String type, String eventId) {
        if (eventId.isBlank()) {
            throw new MalformedEventException(type + ": has no event_id");
        }
        return eventId;
    }

    private static void requireEpisodeId(String what, boolean present, EpisodeId id) {
        if (!present) {
            throw new MalformedEventException(what + ": has no episode_id");
        }
        requireText(what, "episode_id.study_id", id.getStudyId().getValue());
        if (id.getIndex() < 0) {
            throw new MalformedEventException(what + ": episode_id.index is negative (" + id.getIndex() + ")");
        }
    }

    private static void requireText(String what, String field, String value) {
        if (value.isBlank()) {
            throw new MalformedEventException(what + ": has no " + field);
        }
    }

    private static void requireNonNegative(String what, String field, long value) {
        if (value < 0) {
            throw new MalformedEventException(what + ": " + field + " is negative (" + value + ")");
        }
    }

    private static void requireTimestamp(String what, String field, long unixMs) {
        // After the year 9999 is a unit error (microseconds or nanoseconds given as milliseconds).
        if (unixMs < 0 || unixMs > LATEST_UNIX_MS) {
            throw new MalformedEventException(what + ": " + field + " is not a plausible unix time in ms (" + unixMs + ")");
        }
    }

    private static void requireSha256(String what, String field, ArtifactRef ref) {
        if (!SHA256.matcher(ref.getSha256()).matches()) {
            throw new MalformedEventException(what + ": " + field + " is not 64 lower-case hex digits ('"
                    + ref.getSha256() + "')");
        }
    }

    /** Blank means absent; anything else must parse as JSON, because reports read it as JSON. */
    private static void requireJson(String what, String field, String json) {
        if (json.isBlank()) {
            return;
        }
        try {
            JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new MalformedEventException(what + ": " + field + " is not valid JSON ("
                    + e.getOriginalMessage() + ")", e);
        }
    }
}
