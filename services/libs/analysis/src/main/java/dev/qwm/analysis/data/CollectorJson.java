package dev.qwm.analysis.data;

import dev.qwm.planning.PlannerBudget;
import com.fasterxml.jackson.databind.JsonNode;
import dev.qwm.onnx.runtime.RunEnvironment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the collector's canonical proto3 JSON (lowerCamelCase fields, int64 as strings, enums by name, non-finite
 * floats as "NaN"/"Infinity" strings) into the analysis' records. Missing scalar fields take proto3 defaults;
 * missing message fields (an unset {@code source}) are null.
 */
public final class CollectorJson {

    private CollectorJson() {
    }

    static StudyInfo study(JsonNode response) {
        JsonNode s = required(response, "summary", "GetStudyResponse");
        return new StudyInfo(text(s.path("studyId"), "value"), text(s, "name"), text(response, "specJson"),
                (int) int64(s, "episodeCount"), (int) int64(s, "completedCount"), (int) int64(s, "successCount"),
                int64(s, "submittedAtUnixMs"), failures(response.path("failures")));
    }

    /** The study's dead-lettered episodes ({@code GetStudyResponse.failures}), by index. */
    public static List<StudyInfo.FailedEpisode> failures(JsonNode failures) {
        List<StudyInfo.FailedEpisode> out = new ArrayList<>();
        for (JsonNode f : failures) {
            out.add(new StudyInfo.FailedEpisode((int) int64(f, "episodeIndex"), text(f, "configuration"),
                    text(f, "reason")));
        }
        return out;
    }

    static List<StudyInfo> studies(JsonNode response) {
        List<StudyInfo> out = new ArrayList<>();
        for (JsonNode s : response.path("studies")) {
            out.add(new StudyInfo(text(s.path("studyId"), "value"), text(s, "name"), "", (int) int64(s, "episodeCount"),
                    (int) int64(s, "completedCount"), (int) int64(s, "successCount"), int64(s, "submittedAtUnixMs")));
        }
        return out;
    }

    static List<EpisodeRecord> episodes(JsonNode response) {
        List<EpisodeRecord> out = new ArrayList<>();
        for (JsonNode e : response.path("episodes")) {
            out.add(episode(e));
        }
        return out;
    }

    public static EpisodeRecord episode(JsonNode e) {
        JsonNode b = e.path("budget");
        PlannerBudget budget = new PlannerBudget((int) int64(b, "horizon"), (int) int64(b, "samples"),
                (int) int64(b, "topK"), number(b, "varScale"), (int) int64(b, "optSteps"), (int) int64(b, "maxIter"),
                number(b, "objectiveAlpha"), (int) int64(b, "executedActions"));
        JsonNode s = e.path("seeding");
        Seeding seeding = new Seeding(int64(s, "seed"), int64(s, "seedBase"), int64(s, "seedOffset"),
                enumName(text(s, "split"), "DATA_SPLIT_"));
        int index = (int) int64(e.path("episodeId"), "index");
        return new EpisodeRecord(index, enumName(text(e, "environment"), "ENVIRONMENT_ID_"), artifact(e.get("encoder")),
                artifact(e.get("predictor")), budget, seeding, text(e, "configuration"), bool(e, "success"),
                (int) int64(e, "successIteration"), number(e, "finalStateDistance"), number(e, "finalBestLoss"),
                (int) int64(e, "mpcIterations"), int64(e, "wallTimeMs"), number(e, "meanCemStepMs"),
                text(e, "attemptId"), text(e, "workerId"), ranOn(e.get("ranOn")),
                ranOn(e.get("encoderRanOn")));
    }

    /** A proto3-JSON {@code RunEnvironment}, or null when absent. */
    public static RunEnvironment ranOn(JsonNode r) {
        if (r == null || r.isNull() || !r.isObject()) {
            return null;
        }
        return new RunEnvironment(text(r, "cpuModel"), text(r, "cpuClass"), text(r, "cpuFeatures"), text(r, "onnxRuntime"),
                text(r, "executionProvider"), (int) int64(r, "threads"));
    }

    static EpisodeTrace trace(JsonNode t) {
        List<MpcIterationRecord> mpc = new ArrayList<>();
        for (JsonNode m : t.path("mpcIterations")) {
            mpc.add(new MpcIterationRecord((int) int64(m, "mpcIteration"), bool(m, "success"), number(m, "stateDistance"),
                    number(m, "bestLoss"), number(m, "visualDivergence"), number(m, "proprioDivergence"),
                    (int) int64(m, "envSteps"), int64(m, "planningMs")));
        }
        List<CemStepRecord> cem = new ArrayList<>();
        for (JsonNode c : t.path("cemSteps")) {
            cem.add(new CemStepRecord((int) int64(c, "mpcIteration"), (int) int64(c, "cemStep"), number(c, "bestLoss"),
                    bool(c, "success"), number(c, "stateDistance"), number(c, "visualDivergence"),
                    number(c, "proprioDivergence")));
        }
        return new EpisodeTrace(text(t, "attemptId"), mpc, cem);
    }

    static List<ArtifactRecord> artifacts(JsonNode response) {
        List<ArtifactRecord> out = new ArrayList<>();
        for (JsonNode a : response.path("artifacts")) {
            out.add(new ArtifactRecord(artifact(a.get("artifact")), artifact(a.get("source")), int64(a, "sizeBytes"),
                    text(a, "recipeJson"), text(a, "manifestJson")));
        }
        return out;
    }

    static ArtifactRef artifact(JsonNode a) {
        if (a == null || a.isNull() || a.isMissingNode()) {
            return null;
        }
        return new ArtifactRef(text(a, "sha256"), enumName(text(a, "component"), "MODEL_COMPONENT_"), text(a, "bundle"),
                text(a, "label"));
    }

    /** {@code ENVIRONMENT_ID_WALL} → {@code wall}; the zero value (…_UNSPECIFIED) → "". */
    static String enumName(String value, String prefix) {
        String v = value.startsWith(prefix) ? value.substring(prefix.length()) : value;
        return v.equals("UNSPECIFIED") ? "" : v.toLowerCase(Locale.ROOT);
    }

    private static JsonNode required(JsonNode node, String field, String message) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new StudyDataException("the collector's " + message + " has no '" + field + "'");
        }
        return v;
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? "" : v.asText();
    }

    static boolean bool(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.asBoolean(false);
    }

    static long int64(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return 0;
        }
        if (v.isNumber()) {
            return v.asLong();
        }
        try {
            return Long.parseLong(v.asText().trim());
        } catch (NumberFormatException e) {
            throw new StudyDataException("field '" + field + "' is not an integer: " + v);
        }
    }

    static double number(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return 0;
        }
        if (v.isNumber()) {
            return v.asDouble();
        }
        return switch (v.asText().trim()) {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> {
                try {
                    yield Double.parseDouble(v.asText().trim());
                } catch (NumberFormatException e) {
                    throw new StudyDataException("field '" + field + "' is not a number: " + v);
                }
            }
        };
    }
}
