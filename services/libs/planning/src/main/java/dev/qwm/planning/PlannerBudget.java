package dev.qwm.planning;

import dev.qwm.env.EnvironmentKind;
import java.util.Locale;

/**
 * The planner's budget, as {@code qwm.common.v1.PlannerBudget}: CEM inside MPC with DINO-WM's settings.
 *
 * @param horizon         CEM lookahead in macro actions
 * @param samples         candidates per CEM step (sample 0 is the mean)
 * @param topK            elites refitted per step
 * @param varScale        initial sigma in the normalised action space
 * @param optSteps        CEM steps per plan
 * @param maxIter         MPC iterations (replans) at most
 * @param objectiveAlpha  weight of the proprio-embedding term
 * @param executedActions macro actions executed per MPC iteration (DINO-WM executes the whole horizon)
 */
public record PlannerBudget(int horizon, int samples, int topK, double varScale, int optSteps, int maxIter,
                            double objectiveAlpha, int executedActions) {

    public PlannerBudget {
        atLeast("horizon", horizon, 1);
        atLeast("samples", samples, 2);
        atLeast("topK", topK, 2);
        atLeast("optSteps", optSteps, 1);
        atLeast("maxIter", maxIter, 1);
        atLeast("executedActions", executedActions, 1);
        if (topK > samples) {
            throw new IllegalArgumentException("topK (" + topK + ") cannot exceed samples (" + samples + ")");
        }
        if (executedActions > horizon) {
            throw new IllegalArgumentException("executedActions (" + executedActions + ") cannot exceed horizon ("
                    + horizon + ")");
        }
        if (!(varScale > 0) || Double.isInfinite(varScale)) {
            throw new IllegalArgumentException("varScale must be finite and > 0, got " + varScale);
        }
        new Objective(objectiveAlpha);
    }

    /** DINO-WM's budget for the environment named {@code environment}. */
    public static PlannerBudget dinoWm(String environment) {
        return dinoWm(EnvironmentKind.parse(environment));
    }

    /** DINO-WM's plan_wall.yaml / plan_pusht.yaml. */
    public static PlannerBudget dinoWm(EnvironmentKind environment) {
        return switch (environment) {
            case WALL -> new PlannerBudget(5, 300, 30, 1.0, 10, 50, 1.0, 5);
            case PUSHT -> new PlannerBudget(5, 300, 30, 1.0, 30, 30, 1.0, 5);
        };
    }

    /**
     * Values to replace in a budget; null keeps the budget's own. All are applied before the result is checked, so
     * that e.g. 20 samples with top-k 5 is valid although 20 samples with the default top-k 30 is not. A new horizon
     * is also the number of executed actions, as in {@link #withHorizon(int)}.
     */
    public record Overrides(Integer horizon, Integer samples, Integer topK, Double varScale, Integer optSteps,
                            Integer maxIter, Double objectiveAlpha) {

        public static final Overrides NONE = new Overrides(null, null, null, null, null, null, null);

        public PlannerBudget applyTo(PlannerBudget b) {
            return new PlannerBudget(horizon != null ? horizon : b.horizon(), samples != null ? samples : b.samples(),
                    topK != null ? topK : b.topK(), varScale != null ? varScale : b.varScale(),
                    optSteps != null ? optSteps : b.optSteps(), maxIter != null ? maxIter : b.maxIter(),
                    objectiveAlpha != null ? objectiveAlpha : b.objectiveAlpha(),
                    horizon != null ? horizon : b.executedActions());
        }
    }

    /** This budget with {@code overrides} applied, checked once. */
    public PlannerBudget with(Overrides overrides) {
        return overrides.applyTo(this);
    }

    /** Short form for tables: {@code 300×10 CEM, 50 MPC}. */
    public String label() {
        return samples + "×" + optSteps + " CEM, " + maxIter + " MPC";
    }

    /** Compact form for file names and keys, e.g. {@code h5-s300-k30-v1-o10-m50-a1-e5}. */
    public String key() {
        return String.format(Locale.ROOT, "h%d-s%d-k%d-v%s-o%d-m%d-a%s-e%d", horizon, samples, topK,
                trim(varScale), optSteps, maxIter, trim(objectiveAlpha), executedActions);
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    public Objective objective() {
        return new Objective(objectiveAlpha);
    }

    /** A new horizon; like DINO-WM ({@code n_taken_actions = goal_H}) MPC then executes the whole horizon. */
    public PlannerBudget withHorizon(int v) {
        return new PlannerBudget(v, samples, topK, varScale, optSteps, maxIter, objectiveAlpha, v);
    }

    public PlannerBudget withSamples(int v) {
        return new PlannerBudget(horizon, v, topK, varScale, optSteps, maxIter, objectiveAlpha, executedActions);
    }

    public PlannerBudget withTopK(int v) {
        return new PlannerBudget(horizon, samples, v, varScale, optSteps, maxIter, objectiveAlpha, executedActions);
    }

    public PlannerBudget withVarScale(double v) {
        return new PlannerBudget(horizon, samples, topK, v, optSteps, maxIter, objectiveAlpha, executedActions);
    }

    public PlannerBudget withOptSteps(int v) {
        return new PlannerBudget(horizon, samples, topK, varScale, v, maxIter, objectiveAlpha, executedActions);
    }

    public PlannerBudget withMaxIter(int v) {
        return new PlannerBudget(horizon, samples, topK, varScale, optSteps, v, objectiveAlpha, executedActions);
    }

    public PlannerBudget withObjectiveAlpha(double v) {
        return new PlannerBudget(horizon, samples, topK, varScale, optSteps, maxIter, v, executedActions);
    }

    public PlannerBudget withExecutedActions(int v) {
        return new PlannerBudget(horizon, samples, topK, varScale, optSteps, maxIter, objectiveAlpha, v);
    }

    private static void atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ", got " + value);
        }
    }
}
