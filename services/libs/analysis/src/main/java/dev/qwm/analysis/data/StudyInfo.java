package dev.qwm.analysis.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A study's summary as submitted: id, name, the spec JSON as the user gave it, and its counts; and the episodes the
 * planner could not plan (dead-lettered, with their reasons), which have no result in any table.
 */
public record StudyInfo(String id, String name, String specJson, int episodeCount, int completedCount,
                        int successCount, long submittedAtUnixMs, List<FailedEpisode> failures) {

    /** An episode that was not planned, and why. */
    public record FailedEpisode(int index, String configuration, String reason) {
    }

    public StudyInfo {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("a study needs an id");
        }
        name = name == null ? "" : name;
        specJson = specJson == null ? "" : specJson;
        failures = failures == null ? List.of() : List.copyOf(failures);
    }

    public StudyInfo(String id, String name, String specJson, int episodeCount, int completedCount, int successCount,
                     long submittedAtUnixMs) {
        this(id, name, specJson, episodeCount, completedCount, successCount, submittedAtUnixMs, List.of());
    }

    /**
     * The failures, one line per (configuration, reason): how many, the first indices, the reason, e.g.
     * {@code "3 episodes (index 0, 4, 9) fp: episode request s/0 cannot be planned: ..."}.
     */
    public static List<String> failureLines(List<FailedEpisode> failures) {
        Map<String, List<Integer>> byReason = new LinkedHashMap<>();
        for (FailedEpisode f : failures) {
            byReason.computeIfAbsent(f.configuration() + ": " + f.reason(), k -> new ArrayList<>()).add(f.index());
        }
        List<String> lines = new ArrayList<>();
        byReason.forEach((reason, indices) -> lines.add(String.format(Locale.ROOT, "%d episode%s (index %s%s) %s",
                indices.size(), indices.size() == 1 ? "" : "s", indices.subList(0, Math.min(5, indices.size()))
                        .toString().replaceAll("[\\[\\]]", ""), indices.size() > 5 ? ", ..." : "", reason)));
        return lines;
    }
}
