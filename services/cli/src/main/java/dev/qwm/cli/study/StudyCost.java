package dev.qwm.cli.study;

import dev.qwm.env.EnvironmentKind;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.quant.recipe.CalibrationSettings;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.RecipeIo;
import java.nio.file.Path;

/**
 * What a study costs in CPU time, before it runs and while it runs. The unit is one CEM step (all candidates through
 * the whole horizon) on one core; an MPC iteration is {@code opt_steps} of them, and an episode runs MPC iterations
 * until its first success or {@code max_iter}. So a cell costs
 * {@code episodes x iterations per episode x opt_steps x ms per CEM step x samples / 300}, where iterations per episode
 * lie between the full-precision model's pace (most episodes succeed in the first two iterations) and {@code
 * max_iter} (every episode fails). Quantized cells that plan badly are near the upper end, so the estimate is the
 * middle of the two, and the bounds are printed beside it.
 *
 * <p>The constants are measured (the episode logs of docs/evals, one ONNX Runtime thread per episode, CPU time): a
 * DINO-WM CEM step (300 x horizon 5) takes 190 CPU-ms on Wall (AMD EPYC, AVX2; 184 on an Intel Xeon with AVX-512 VNNI)
 * and 450 CPU-ms on PushT (AMD EPYC; 350 on the Xeon); full precision succeeds in 90 % of Wall episodes after 1.22
 * iterations on average and in 82 % of PushT episodes after 1.05 (max_iter 5). Calibration plans up to {@code episodes x quant_iter} full-precision iterations at
 * DINO-WM's budget (an episode stops at its first success, so this is an upper bound).
 */
public final class StudyCost {

    /** CPU time of one CEM step of 300 candidates, by environment, or as measured by the caller. */
    public record Rates(double wallCemStepMs, double pushtCemStepMs) {
        public static final Rates MEASURED = new Rates(190, 450);

        /** GFLOP of one CEM step (300 x horizon 5) of the shipped models, whose steps the rates were measured on. */
        public static final double WALL_SHIPPED_GFLOP = 4.97;
        public static final double PUSHT_SHIPPED_GFLOP = 15.36;

        /** Within this factor of the shipped model's GFLOP a bundle is costed at the measured rate as it is. */
        static final double SAME_SIZE = 2;

        double cemStepMs(String environment, int samples) {
            double ms = EnvironmentKind.parse(environment) == EnvironmentKind.WALL ? wallCemStepMs : pushtCemStepMs;
            return ms * samples / 300.0;
        }

        static double shippedGflop(String environment) {
            return EnvironmentKind.parse(environment) == EnvironmentKind.WALL ? WALL_SHIPPED_GFLOP : PUSHT_SHIPPED_GFLOP;
        }

        /**
         * The rates for a bundle of {@code gflop} per CEM step on {@code environment}: the measured rate times the
         * ratio of FLOP to the shipped model's, when they differ by more than {@link #SAME_SIZE}x (a DINO-WM-size
         * model is about 100 times the shipped ones). Linear in FLOP, so an upper bound for a large model, which uses a
         * core better than a small one does (39 GFLOP/s on the shipped Wall model, 92 at DINO-WM's size, measured with
         * ./qwm bench on one Xeon core).
         */
        public Rates forBundle(String environment, double gflop) {
            double ratio = gflop / shippedGflop(environment);
            if (!(ratio > 0) || (ratio <= SAME_SIZE && ratio >= 1 / SAME_SIZE)) {
                return this;
            }
            boolean wall = EnvironmentKind.parse(environment) == EnvironmentKind.WALL;
            return new Rates(wall ? wallCemStepMs * ratio : wallCemStepMs, wall ? pushtCemStepMs : pushtCemStepMs * ratio);
        }
    }

    /** CPU seconds of a cell: if it planned at full precision's pace, in the middle, and if every episode failed. */
    public record Seconds(double fpPace, double estimate, double allFail) {
        Seconds plus(Seconds o) {
            return new Seconds(fpPace + o.fpPace, estimate + o.estimate, allFail + o.allFail);
        }

        static final Seconds ZERO = new Seconds(0, 0, 0);
    }

    private StudyCost() {
    }

    /** MPC iterations per episode at full precision's measured pace, with at most {@code maxIter}. */
    static double fpIterations(String environment, int maxIter) {
        boolean wall = EnvironmentKind.parse(environment) == EnvironmentKind.WALL;
        double success = wall ? 0.90 : 0.82;
        double successIterations = wall ? 1.22 : 1.05;
        return Math.min(maxIter, success * Math.min(successIterations, maxIter) + (1 - success) * maxIter);
    }

    /** CPU seconds of one MPC iteration at {@code budget}. */
    static double iterationSeconds(String environment, PlannerBudget budget, Rates rates) {
        return budget.optSteps() * rates.cemStepMs(environment, budget.samples()) / 1000.0;
    }

    /** The planning of {@code episodes} episodes of one cell. */
    public static Seconds planning(String environment, PlannerBudget budget, int episodes, Rates rates) {
        double perIteration = iterationSeconds(environment, budget, rates);
        double low = episodes * fpIterations(environment, budget.maxIter()) * perIteration;
        double high = (double) episodes * budget.maxIter() * perIteration;
        return new Seconds(low, (low + high) / 2, high);
    }

    /** Planning of {@code remaining} episodes of a cell whose stored episodes took {@code meanIterations} each. */
    public static double remaining(String environment, PlannerBudget budget, int remaining, double meanIterations,
                                   Rates rates) {
        return remaining * meanIterations * iterationSeconds(environment, budget, rates);
    }

    /** The calibration a recipe asks for (0 if it needs no data): an upper bound, episodes stop at their first success. */
    public static double calibrationSeconds(String environment, StudySpec.RecipeEntry r, Rates rates) {
        Recipe recipe = r.isFullPrecision() ? null
                : r.preset() != null ? r.presetRecipe() : RecipeIo.read(Path.of(r.recipe()));
        if (recipe == null || !recipe.needsCalibration()) {
            return 0;
        }
        CalibrationSettings c = recipe.calibration() == null ? CalibrationSettings.DEFAULTS : recipe.calibration();
        int episodes = r.calibrationEpisodes() != null ? r.calibrationEpisodes() : c.episodes();
        int quantIter = r.quantIter() != null ? r.quantIter() : c.quantIter();
        return episodes * quantIter * iterationSeconds(environment, PlannerBudget.dinoWm(environment), rates);
    }
}
