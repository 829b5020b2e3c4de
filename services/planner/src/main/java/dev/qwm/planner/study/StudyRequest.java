package dev.qwm.planner.study;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A study as the planner accepts it: every configuration already names its encoder and predictor artifacts
 * (the command line quantizes what is missing first) and its planner budget.
 *
 * @param studyId     optional; generated from the name when absent
 * @param episodes    episodes per configuration; episode n of every configuration has the same seed (paired goals)
 * @param spec        the user's spec as given, stored with the study
 */
public record StudyRequest(String studyId, String name, String environment, int episodes, Long seedBase,
                           Long seedOffset, String split, Long plannerSeed, Boolean evaluateCemSteps,
                           JsonNode spec, List<Configuration> configurations) {

    public record Artifact(String bundle, String sha256, String label) {
    }

    public record Budget(int horizon, int samples, int topK, double varScale, int optSteps, int maxIter,
                         double objectiveAlpha, int executedActions) {
    }

    public record Configuration(String label, Artifact encoder, Artifact predictor, Budget budget) {
    }
}
