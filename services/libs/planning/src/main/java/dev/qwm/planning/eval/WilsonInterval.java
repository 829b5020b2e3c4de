package dev.qwm.planning.eval;

import org.apache.commons.math3.stat.interval.ConfidenceInterval;
import org.apache.commons.math3.stat.interval.WilsonScoreInterval;

/** Wilson's score interval of a success rate: the one every success rate of qwm is reported with. */
public final class WilsonInterval {

    private WilsonInterval() {
    }

    /**
     * {lower, upper} of {@code successes} in {@code n} trials at {@code confidence}, clamped to [0, 1] (at 0 and n
     * the formula gives 0 and 1 up to rounding); {0, 1} when there are no trials.
     */
    public static double[] of(int successes, int n, double confidence) {
        if (n == 0) {
            return new double[] {0, 1};
        }
        ConfidenceInterval ci = new WilsonScoreInterval().createInterval(n, successes, confidence);
        return new double[] {Math.max(0, ci.getLowerBound()), Math.min(1, ci.getUpperBound())};
    }
}
