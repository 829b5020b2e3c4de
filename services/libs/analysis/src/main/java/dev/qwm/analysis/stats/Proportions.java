package dev.qwm.analysis.stats;

import dev.qwm.planning.eval.WilsonInterval;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.stat.inference.AlternativeHypothesis;
import org.apache.commons.math3.stat.inference.BinomialTest;

/**
 * Intervals for success rates. Single rates get Wilson's score interval (good coverage at the small n and the
 * rates near 0 or 1 that planning studies produce, unlike the Wald interval). Differences get Newcombe's hybrid
 * score intervals, built from the two Wilson intervals: method 10 of Newcombe (1998, Stat Med 17:873) for independent
 * samples, and method 10 of Newcombe (1998, Stat Med 17:2635) for paired samples, where the two rates come from the
 * same episodes (same seeds, so the same start and goal) and their correlation narrows the interval.
 */
public final class Proportions {

    /** Two-sided 95 %. */
    public static final double CONFIDENCE = 0.95;

    private Proportions() {
    }

    /** The standard normal quantile for a two-sided interval at {@code confidence}, e.g. 1.95996 for 0.95. */
    public static double z(double confidence) {
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must lie in (0, 1), got " + confidence);
        }
        return new NormalDistribution(0, 1).inverseCumulativeProbability(1 - (1 - confidence) / 2);
    }

    /** {@code successes / n} with its 95 % Wilson score interval. */
    public static Estimate rate(int successes, int n) {
        return new Estimate((double) successes / n, wilson(successes, n, CONFIDENCE));
    }

    /** Wilson's score interval for a binomial proportion. */
    public static Interval wilson(int successes, int n, double confidence) {
        checkCount(successes, n);
        z(confidence); // refuses a confidence outside (0, 1) by name
        double[] ci = WilsonInterval.of(successes, n, confidence);
        return new Interval(ci[0], ci[1]);
    }

    /**
     * The paired difference of two configurations' successes, paired by key (an episode); keys only one of them holds
     * are left out.
     *
     * @throws IllegalArgumentException when they share no key
     */
    public static <K> PairedDifference pairedDifference(java.util.Map<K, Boolean> first, java.util.Map<K, Boolean> second) {
        int both = 0, onlyFirst = 0, onlySecond = 0, neither = 0;
        for (var e : first.entrySet()) {
            Boolean y = second.get(e.getKey());
            if (y == null) {
                continue;
            }
            if (e.getValue() && y) {
                both++;
            } else if (e.getValue()) {
                onlyFirst++;
            } else if (y) {
                onlySecond++;
            } else {
                neither++;
            }
        }
        return pairedDifference(both, onlyFirst, onlySecond, neither);
    }

    /**
     * The difference of two success rates on the same episodes, p(first) − p(second), with Newcombe's paired
     * method 10 interval (Wilson intervals of both margins combined with the phi correlation of the 2×2 table,
     * phi taken as 0 when the concordance is between 0 and n/2, the continuity-free form), and the exact McNemar
     * p-value (two-sided binomial test of the discordant pairs).
     *
     * @param bothSucceed  episodes both configurations solved
     * @param onlyFirst    solved by the first only
     * @param onlySecond   solved by the second only
     * @param neither      solved by neither
     */
    public static PairedDifference pairedDifference(int bothSucceed, int onlyFirst, int onlySecond, int neither) {
        int n = bothSucceed + onlyFirst + onlySecond + neither;
        if (bothSucceed < 0 || onlyFirst < 0 || onlySecond < 0 || neither < 0) {
            throw new IllegalArgumentException("paired counts must not be negative: " + bothSucceed + ", " + onlyFirst
                    + ", " + onlySecond + ", " + neither);
        }
        if (n == 0) {
            throw new IllegalArgumentException("a paired difference needs at least one pair of episodes");
        }
        int firstSuccesses = bothSucceed + onlyFirst;
        int secondSuccesses = bothSucceed + onlySecond;
        double p1 = (double) firstSuccesses / n;
        double p2 = (double) secondSuccesses / n;
        double difference = p1 - p2;
        Interval w1 = wilson(firstSuccesses, n, CONFIDENCE);
        Interval w2 = wilson(secondSuccesses, n, CONFIDENCE);

        double phi = 0;
        long firstFailures = n - firstSuccesses;
        long secondFailures = n - secondSuccesses;
        if (firstSuccesses > 0 && firstFailures > 0 && secondSuccesses > 0 && secondFailures > 0) {
            double product = (double) firstSuccesses * firstFailures * secondSuccesses * secondFailures;
            double concordance = (double) bothSucceed * neither - (double) onlyFirst * onlySecond;
            if (concordance > n / 2.0) {
                phi = (concordance - n / 2.0) / Math.sqrt(product);
            } else if (concordance < 0) {
                phi = concordance / Math.sqrt(product);
            }
        }
        double dl1 = p1 - w1.lower();
        double du1 = w1.upper() - p1;
        double dl2 = p2 - w2.lower();
        double du2 = w2.upper() - p2;
        double lower = difference - Math.sqrt(Math.max(0, dl1 * dl1 - 2 * phi * dl1 * du2 + du2 * du2));
        double upper = difference + Math.sqrt(Math.max(0, dl2 * dl2 - 2 * phi * dl2 * du1 + du1 * du1));
        double p = onlyFirst + onlySecond == 0 ? 1.0
                : new BinomialTest().binomialTest(onlyFirst + onlySecond, onlyFirst, 0.5, AlternativeHypothesis.TWO_SIDED);
        return new PairedDifference(n, bothSucceed, onlyFirst, onlySecond, neither,
                new Estimate(difference, new Interval(Math.max(-1, lower), Math.min(1, upper))), Math.min(1, p));
    }

    /**
     * The difference of two success rates from independent samples, p1 − p2, with Newcombe's hybrid score interval
     * (method 10 of the 1998 comparison of eleven methods): for configurations that were not run on the same episodes.
     */
    public static Estimate independentDifference(int successes1, int n1, int successes2, int n2) {
        Interval w1 = wilson(successes1, n1, CONFIDENCE);
        Interval w2 = wilson(successes2, n2, CONFIDENCE);
        double p1 = (double) successes1 / n1;
        double p2 = (double) successes2 / n2;
        double d = p1 - p2;
        double lower = d - Math.sqrt(square(p1 - w1.lower()) + square(w2.upper() - p2));
        double upper = d + Math.sqrt(square(p2 - w2.lower()) + square(w1.upper() - p1));
        return new Estimate(d, new Interval(Math.max(-1, lower), Math.min(1, upper)));
    }

    private static double square(double x) {
        return x * x;
    }

    private static void checkCount(int successes, int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("a success rate needs at least one episode, got n = " + n);
        }
        if (successes < 0 || successes > n) {
            throw new IllegalArgumentException("successes must lie in 0.." + n + ", got " + successes);
        }
    }
}
