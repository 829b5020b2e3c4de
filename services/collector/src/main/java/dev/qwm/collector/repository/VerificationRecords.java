package dev.qwm.collector.repository;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The records {@code ./qwm verify} and {@code ./qwm autoquant} send the collector, checked before they are stored: a
 * missing or ill-typed field is refused with its name rather than stored as a row nobody can read.
 */
public final class VerificationRecords {

    /** Ids are the CLI's (content keys, search names): short, printable, usable in a URL path. */
    static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    static final Set<String> VERDICTS = Set.of("PASS", "FAIL", "UNDECIDED", "RUNNING");

    private VerificationRecords() {
    }

    /** The columns of one verification; the record itself is stored whole beside them. */
    public record Verification(String id, String searchId, String environment, String candidateName,
                               String candidateSha256, String referenceName, String referenceSha256, double margin,
                               double confidence, String budget, String verdict, double difference, double lower,
                               double upper, int pairs, int episodesPlanned, List<String> studyIds, String machine) {
    }

    /** One autoquant search's columns. */
    public record Search(String id, String environment, String bundle, String budget) {
    }

    /**
     * Checks a verification record.
     *
     * @throws IllegalArgumentException naming the first field that is missing or wrong
     */
    public static Verification verification(String id, JsonNode r) {
        checkId(id, "verification id");
        require(r != null && r.isObject(), "a verification is a JSON object");
        String recordId = r.path("verification_id").asText(id);
        require(recordId.equals(id), "verification_id " + recordId + " in the body, " + id + " in the path");
        String searchId = r.hasNonNull("search_id") ? text(r, "search_id") : null;
        if (searchId != null) {
            checkId(searchId, "search_id");
        }
        String verdict = text(r, "verdict");
        require(VERDICTS.contains(verdict), "verdict must be one of " + VERDICTS + ", got " + verdict);
        double margin = number(r, "margin");
        require(margin > 0 && margin < 1, "margin must lie in (0, 1), got " + margin);
        double confidence = number(r, "confidence");
        require(confidence > 0 && confidence < 1, "confidence must lie in (0, 1), got " + confidence);
        JsonNode interval = r.path("interval");
        double lower = number(interval, "lower", "interval.lower");
        double upper = number(interval, "upper", "interval.upper");
        require(lower <= upper, "interval.lower " + lower + " exceeds interval.upper " + upper);
        int pairs = count(r, "pairs");
        int planned = count(r, "episodes_planned");
        JsonNode studies = r.path("study_ids");
        require(studies.isArray(), "study_ids must be an array of the studies the verification ran as");
        List<String> studyIds = new ArrayList<>();
        for (JsonNode s : studies) {
            require(s.isTextual(), "study_ids holds a " + s.getNodeType().name().toLowerCase() + ", not a study id");
            studyIds.add(s.asText());
        }
        return new Verification(id, searchId, text(r, "environment"), text(r.path("candidate"), "name", "candidate.name"),
                text(r.path("candidate"), "sha256", "candidate.sha256"), text(r.path("reference"), "name", "reference.name"),
                text(r.path("reference"), "sha256", "reference.sha256"), margin, confidence, text(r, "budget"), verdict,
                number(r, "difference"), lower, upper, pairs, planned, studyIds, text(r, "machine"));
    }

    /** Checks an autoquant search record. */
    public static Search search(String id, JsonNode r) {
        checkId(id, "search id");
        require(r != null && r.isObject(), "a search is a JSON object");
        require(r.path("candidates").isArray(), "candidates must be an array");
        return new Search(id, text(r, "environment"), text(r, "bundle"), text(r, "budget"));
    }

    static void checkId(String id, String what) {
        require(id != null && ID.matcher(id).matches(), what + " must be 1-128 of A-Z a-z 0-9 . _ -, got " + id);
    }

    private static String text(JsonNode r, String field) {
        return text(r, field, field);
    }

    private static String text(JsonNode r, String field, String name) {
        JsonNode v = r.path(field);
        require(v.isTextual() && !v.asText().isBlank(), name + " must be a non-empty string");
        return v.asText();
    }

    private static double number(JsonNode r, String field) {
        return number(r, field, field);
    }

    private static double number(JsonNode r, String field, String name) {
        JsonNode v = r.path(field);
        require(v.isNumber() && Double.isFinite(v.asDouble()), name + " must be a finite number");
        return v.asDouble();
    }

    private static int count(JsonNode r, String field) {
        JsonNode v = r.path(field);
        require(v.isIntegralNumber() && v.canConvertToInt() && v.asInt() >= 0, field + " must be a count (integer >= 0)");
        return v.asInt();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
