package dev.qwm.analysis.data;

/** A study's summary as submitted: id, name, the spec JSON as the user gave it, and its counts. */
public record StudyInfo(String id, String name, String specJson, int episodeCount, int completedCount,
                        int successCount, long submittedAtUnixMs) {

    public StudyInfo {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("a study needs an id");
        }
        name = name == null ? "" : name;
        specJson = specJson == null ? "" : specJson;
    }
}
