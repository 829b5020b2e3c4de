package dev.qwm.cli.eval;

import dev.qwm.analysis.report.TextTable;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.eval.EvaluationReport;
import java.io.PrintStream;
import java.util.Locale;

/** What {@code ./qwm eval} prints without {@code --json}: the model, planner and seeding, then a table of figures. */
public final class EvalTable {

    private EvalTable() {
    }

    /** The planner and its budget in one line; random actions have no CEM settings. */
    public static String describe(PlannerBudget b, boolean random) {
        if (random) {
            return String.format(Locale.ROOT, "random actions, horizon %d, max-iter %d", b.horizon(), b.maxIter());
        }
        return String.format(Locale.ROOT, "CEM horizon %d, samples %d, top-k %d, var %.2g, opt-steps %d, "
                        + "max-iter %d, alpha %.3g", b.horizon(), b.samples(), b.topK(), b.varScale(), b.optSteps(),
                b.maxIter(), b.objectiveAlpha());
    }

    public static void print(EvaluationReport r, PrintStream out) {
        out.println();
        out.println("model    " + r.modelReference());
        out.println("planner  " + describe(r.budget(), r.planner().equals("random")));
        out.printf(Locale.ROOT, "episodes %d on %s, seeds %dn+%d (%s split)%n", r.episodes(), r.environment(),
                r.settings().seedBase(), r.settings().seedOffset(), r.settings().split().name().toLowerCase(Locale.ROOT));
        TextTable t = new TextTable("metric", "value");
        t.row("success rate", String.format(Locale.ROOT, "%.3f (%d/%d)", r.successRate(), r.successes(), r.episodes()));
        t.row("95% Wilson interval", String.format(Locale.ROOT, "%.3f .. %.3f", r.ci95Low(), r.ci95High()));
        t.row("mean final state distance", String.format(Locale.ROOT, "%.2f", r.meanFinalStateDistance()));
        t.row("mean plan loss", Double.isNaN(r.meanFinalBestLoss()) ? "n/a"
                : String.format(Locale.ROOT, "%.4g", r.meanFinalBestLoss()));
        t.row("ms per CEM step (" + r.budget().samples() + " x " + r.budget().horizon() + ")",
                Double.isNaN(r.msPerCemStep()) ? "n/a (no CEM)" : String.format(Locale.ROOT, "%.2f", r.msPerCemStep()));
        if (!Double.isNaN(r.cpuMsPerCemStep())) {
            t.row("  CPU ms of the planning thread", String.format(Locale.ROOT, "%.2f", r.cpuMsPerCemStep()));
        }
        t.row("mean MPC iterations", String.format(Locale.ROOT, "%.2f", r.meanMpcIterations()));
        t.row("episodes per minute", Double.isNaN(r.episodesPerMinute()) ? "n/a (none planned in this run)"
                : String.format(Locale.ROOT, "%.1f", r.episodesPerMinute()));
        t.row("wall time", String.format(Locale.ROOT, "%.1f s", r.wallTimeMs() / 1000.0));
        out.println();
        t.print(out);
    }
}
