package dev.qwm.analysis.data;

import java.util.Locale;

/** The CEM/MPC budget every result row carries (qwm.common.v1.PlannerBudget). */
public record PlannerBudget(int horizon, int samples, int topK, double varScale, int optSteps, int maxIter,
                            double objectiveAlpha, int executedActions) {

    /** Short form for tables: {@code 300×10 CEM, 50 MPC}. */
    public String label() {
        return samples + "×" + optSteps + " CEM, " + maxIter + " MPC";
    }

    /** Compact form for file names and keys. */
    public String key() {
        return String.format(Locale.ROOT, "h%d-s%d-k%d-v%s-o%d-m%d-a%s-e%d", horizon, samples, topK,
                trim(varScale), optSteps, maxIter, trim(objectiveAlpha), executedActions);
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
