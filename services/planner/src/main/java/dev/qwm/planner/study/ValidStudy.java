package dev.qwm.planner.study;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.DataSplit;
import dev.qwm.api.common.v1.EnvironmentId;
import dev.qwm.api.common.v1.PlannerBudget;
import java.util.List;

/**
 * A study that passed every check, in the terms of the episode requests it becomes.
 *
 * @param episodes episodes per configuration
 */
public record ValidStudy(String studyId, String name, EnvironmentId environment, int episodes, long seedBase,
                         long seedOffset, DataSplit split, long plannerSeed, boolean evaluateCemSteps,
                         List<Configuration> configurations) {

    /** @param plannerSeed the seed of this configuration's planner draws (the study's unless the request names one) */
    public record Configuration(String label, ArtifactRef encoder, ArtifactRef predictor, PlannerBudget budget,
                                long plannerSeed) {
    }
}
