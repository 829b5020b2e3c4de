package dev.qwm.cli.options;

import dev.qwm.planning.PlannerBudget;
import picocli.CommandLine.Option;

/** The planner-budget options of a command that plans; what is not given keeps DINO-WM's budget for the environment. */
public final class PlannerBudgetOptions {

    @Option(names = "--samples", description = "CEM candidates per step (default 300).")
    Integer samples;

    @Option(names = "--topk", description = "CEM elites per step (default 30).")
    Integer topK;

    @Option(names = "--opt-steps", description = "CEM steps per plan (default: wall 10, pusht 30).")
    Integer optSteps;

    @Option(names = "--max-iter", description = "MPC iterations at most (default: wall 50, pusht 30).")
    Integer maxIter;

    @Option(names = "--horizon", description = "CEM horizon in macro actions, all executed per MPC iteration (default 5).")
    Integer horizon;

    @Option(names = "--var-scale", description = "Initial CEM sigma in normalised action units (default 1).")
    Double varScale;

    @Option(names = "--alpha", description = "Weight of the proprio-embedding term of the objective (default 1).")
    Double alpha;

    /** DINO-WM's budget for {@code environment} with every given option, checked once all are applied. */
    public PlannerBudget resolve(String environment) {
        return PlannerBudget.dinoWm(environment).with(new PlannerBudget.Overrides(horizon, samples, topK, varScale,
                optSteps, maxIter, alpha));
    }
}
