package dev.qwm.quant.bundle;

import dev.qwm.planning.DataSplit;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.cem.CemPlanner;
import dev.qwm.planning.eval.EpisodeSource;
import dev.qwm.planning.eval.Evaluation;
import dev.qwm.planning.eval.EvaluationReport;
import dev.qwm.planning.eval.EvaluationSettings;
import dev.qwm.planning.mpc.PlanningListener;
import dev.qwm.quant.recipe.CalibrationSettings;

/**
 * Where calibration activations come from: FP planning episodes as QuantWM runs them (docs/reference/quantwm.md
 * "Calibration"): CEM/MPC with the evaluation budget but {@code quantIter} MPC iterations, on the recipe's split and
 * seeds (99n+2 on the training split by default, never the evaluation's 99n+1), every CEM candidate batch going through
 * the collectors.
 *
 * @param episodes where start/goal pairs come from (Wall, or PushT from a dataset)
 * @param budget   the planner budget (its max_iter is replaced by the recipe's quantIter)
 * @param listener progress of the calibration episodes
 */
public record PlanningCalibration(EpisodeSource episodes, PlannerBudget budget, PlanningListener listener) {

    public static PlanningCalibration dinoWm(EpisodeSource episodes, PlanningListener listener) {
        return new PlanningCalibration(episodes, PlannerBudget.dinoWm(episodes.environment()), listener);
    }

    /** Plans the calibration episodes with {@code model} (closed at the end). */
    public EvaluationReport run(CalibratingWorldModel model, CalibrationSettings settings) {
        DataSplit split = settings.split().equals("train") ? DataSplit.TRAIN : DataSplit.VALIDATION;
        EvaluationSettings s = new EvaluationSettings(settings.episodes(), settings.seedStride(), settings.seedOffset(),
                split, 0, false, 1);
        return Evaluation.run(episodes, () -> model, new CemPlanner(), budget.withMaxIter(settings.quantIter()), s, listener);
    }
}
