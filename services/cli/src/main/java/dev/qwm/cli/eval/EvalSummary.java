package dev.qwm.cli.eval;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.eval.EvaluationReport;
import java.util.Locale;

/**
 * What {@code ./qwm eval --json} prints: the evaluation's figures, its budget and its seeding, snake_case. A figure
 * that does not exist for a run (no plan loss for random actions, no throughput when nothing was planned) is null.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record EvalSummary(String environment, String model, String planner, int episodes, int successes,
                          double successRate, double ci95Low, double ci95High, double meanFinalStateDistance,
                          Double meanPlanLoss, Double msPerCemStep, Double cpuMsPerCemStep, long cemSteps,
                          double meanMpcIterations, Double episodesPerMinute, long wallTimeMs, Budget budget,
                          Seeding seeding) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Budget(int horizon, int samples, int topK, double varScale, int optSteps, int maxIter,
                         double objectiveAlpha, int executedActions) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Seeding(long seedBase, long seedOffset, String split, long plannerSeed) {
    }

    public static EvalSummary of(EvaluationReport r) {
        PlannerBudget b = r.budget();
        return new EvalSummary(r.environment(), r.modelReference(), r.planner(), r.episodes(), r.successes(),
                r.successRate(), r.ci95Low(), r.ci95High(), r.meanFinalStateDistance(), orNull(r.meanFinalBestLoss()),
                orNull(r.msPerCemStep()), orNull(r.cpuMsPerCemStep()), r.cemSteps(), r.meanMpcIterations(),
                orNull(r.episodesPerMinute()), r.wallTimeMs(),
                new Budget(b.horizon(), b.samples(), b.topK(), b.varScale(), b.optSteps(), b.maxIter(),
                        b.objectiveAlpha(), b.executedActions()),
                new Seeding(r.settings().seedBase(), r.settings().seedOffset(),
                        r.settings().split().name().toLowerCase(Locale.ROOT), r.settings().plannerSeed()));
    }

    private static Double orNull(double v) {
        return Double.isNaN(v) ? null : v;
    }
}
