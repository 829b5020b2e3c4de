package dev.qwm.planner.study;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * A study as the planner accepts it (JSON, snake_case fields): every configuration already names its encoder and
 * predictor artifacts (the command line quantizes what is missing first) and its planner budget.
 *
 * @param studyId     optional; generated from the name when absent
 * @param episodes    episodes per configuration; episode n of every configuration has the same seed (paired goals)
 * @param spec        the user's spec as given, stored with the study
 * @param skipEpisodes episode indices whose results are stored already (a study resumed from its episode log on a
 *                     fresh stack): their requests are not published; not part of what makes two requests the same
 *                     study
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record StudyRequest(String studyId, String name, String environment, int episodes, Long seedBase,
                           Long seedOffset, String split, Long plannerSeed, Boolean evaluateCemSteps,
                           JsonNode spec, List<Configuration> configurations,
                           @JsonInclude(JsonInclude.Include.NON_NULL) List<Integer> skipEpisodes) {

    public StudyRequest(String studyId, String name, String environment, int episodes, Long seedBase, Long seedOffset,
                        String split, Long plannerSeed, Boolean evaluateCemSteps, JsonNode spec,
                        List<Configuration> configurations) {
        this(studyId, name, environment, episodes, seedBase, seedOffset, split, plannerSeed, evaluateCemSteps, spec,
                configurations, null);
    }

    /** The same request without its skip list: what identifies the study. */
    public StudyRequest withoutSkip() {
        return new StudyRequest(studyId, name, environment, episodes, seedBase, seedOffset, split, plannerSeed,
                evaluateCemSteps, spec, configurations, null);
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Artifact(String bundle, String sha256, String label) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Budget(int horizon, int samples, int topK, double varScale, int optSteps, int maxIter,
                         double objectiveAlpha, int executedActions) {
    }

    /**
     * @param plannerSeed this configuration's planner seed (e.g. FP run again under another seed); null: the study's.
     *                    Left out of the JSON when null, so a request without it is the same text as before it existed
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Configuration(String label, Artifact encoder, Artifact predictor, Budget budget,
                                @JsonInclude(JsonInclude.Include.NON_NULL) Long plannerSeed) {

        public Configuration(String label, Artifact encoder, Artifact predictor, Budget budget) {
            this(label, encoder, predictor, budget, null);
        }
    }
}
