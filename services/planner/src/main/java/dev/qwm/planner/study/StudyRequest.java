package dev.qwm.planner.study;

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
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record StudyRequest(String studyId, String name, String environment, int episodes, Long seedBase,
                           Long seedOffset, String split, Long plannerSeed, Boolean evaluateCemSteps,
                           JsonNode spec, List<Configuration> configurations) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Artifact(String bundle, String sha256, String label) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Budget(int horizon, int samples, int topK, double varScale, int optSteps, int maxIter,
                         double objectiveAlpha, int executedActions) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Configuration(String label, Artifact encoder, Artifact predictor, Budget budget) {
    }
}
