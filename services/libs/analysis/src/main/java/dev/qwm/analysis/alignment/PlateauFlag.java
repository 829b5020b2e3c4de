package dev.qwm.analysis.alignment;

import java.util.Locale;
import java.util.Optional;

/**
 * "More optimisation no longer helps": from some point on, success stays within a tolerance of where it is while
 * the plan loss keeps falling, and success stays clearly below the reference (full precision's final success on the
 * same curve, or 1 without one). The signature of a planner objective that stopped tracking the task.
 *
 * @param plateauAt    first x from which success never rises more than the tolerance
 * @param successAt    success at that point
 * @param lossDrop     relative fall of the plan loss from the plateau to the end, e.g. 0.3 = 30 %
 */
public record PlateauFlag(String axis, int plateauAt, int lastAt, double successAt, double lossDrop, double reference) {

    /** Loss must fall at least this much after the plateau. */
    public static final double MIN_LOSS_DROP = 0.10;
    /** The plateau must cover at least this share of the curve (and two points). */
    public static final double MIN_PLATEAU_SHARE = 0.25;
    /** Success must end at least this far below the reference (or one episode's share if that is more). */
    public static final double MIN_GAP = 0.05;

    /**
     * @param tolerance how much success may still rise and count as flat (one episode's share, at least 0.02)
     * @param reference full precision's final success on the same axis; NaN when there is none
     */
    public static Optional<PlateauFlag> detect(Curve curve, double tolerance, double reference) {
        int last = curve.length() - 1;
        if (last < 2 || !curve.hasLoss()) {
            return Optional.empty();
        }
        double[] s = curve.success();
        double[] l = curve.relativeLoss();
        int plateau = last;
        double runningMax = s[last];
        for (int k = last; k >= 0; k--) {
            runningMax = Math.max(runningMax, s[k]);
            if (runningMax - s[k] > tolerance) {
                break;
            }
            plateau = k;
        }
        int span = last - plateau;
        if (span < Math.max(2, Math.ceil(MIN_PLATEAU_SHARE * last))) {
            return Optional.empty();
        }
        if (Double.isNaN(l[plateau]) || Double.isNaN(l[last]) || l[plateau] <= 0) {
            return Optional.empty();
        }
        double drop = (l[plateau] - l[last]) / l[plateau];
        double ref = Double.isNaN(reference) ? 1.0 : reference;
        if (drop < MIN_LOSS_DROP || s[last] > ref - Math.max(tolerance, MIN_GAP)) {
            return Optional.empty();
        }
        return Optional.of(new PlateauFlag(curve.axis(), plateau, last, s[plateau], drop, ref));
    }

    /** Short form for a table cell: {@code flat at 0.23 from 9 of 12, loss −24 %}. */
    public String brief() {
        return String.format(Locale.ROOT, "flat at %.2f from %d of %d, loss −%.0f %%", successAt, plateauAt + 1, lastAt + 1,
                100 * lossDrop);
    }

    public String describe() {
        // curves are 0-based inside, 1-based (iterations or steps done) in words and plots
        return String.format(Locale.ROOT, "success flat at %.2f from %s %d to %d (FP %.2f) while the plan loss falls %.0f %%",
                successAt, axis, plateauAt + 1, lastAt + 1, reference, 100 * lossDrop);
    }
}
