package dev.qwm.quantizer.job;

import dev.qwm.planning.PlannerBudget;
import dev.qwm.quant.recipe.Recipe;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a job needs to run, fixed when its submission was checked.
 *
 * @param id                the content key: job id and output folder
 * @param sourceShas        the source's component hashes, so that a source changed before the run is noticed
 * @param calibrationBudget null when the job calibrates on nothing
 * @param dataset           the dataset of calibration goals (PushT), or null
 */
public record Submission(String id, Path sourceDir, Map<String, String> sourceShas, Recipe recipe, String recipeJson,
                         PlannerBudget calibrationBudget, Path dataset) {
}
