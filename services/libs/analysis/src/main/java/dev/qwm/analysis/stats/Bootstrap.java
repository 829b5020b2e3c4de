package dev.qwm.analysis.stats;

import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;

import java.util.Arrays;
import java.util.function.ToDoubleFunction;

/**
 * Percentile bootstrap with a fixed seed, so that a report computed twice from the same data prints the same
 * intervals. Resamples indices 0..n−1 with replacement and evaluates a statistic on each resample; resamples on
 * which the statistic is undefined (NaN, e.g. a correlation of a constant) are dropped, and the interval is undefined
 * when more than half of them are.
 */
public final class Bootstrap {

    public static final int DEFAULT_RESAMPLES = 2000;
    public static final long DEFAULT_SEED = 20_260_211L;

    private final int resamples;
    private final long seed;

    public Bootstrap(int resamples, long seed) {
        if (resamples < 100) {
            throw new IllegalArgumentException("a bootstrap needs at least 100 resamples, got " + resamples);
        }
        this.resamples = resamples;
        this.seed = seed;
    }

    public static Bootstrap standard() {
        return new Bootstrap(DEFAULT_RESAMPLES, DEFAULT_SEED);
    }

    /** 95 % percentile interval of {@code statistic} over resamples of {@code n} indices. */
    public Interval interval(int n, ToDoubleFunction<int[]> statistic) {
        if (n < 2) {
            return Interval.UNDEFINED;
        }
        RandomGenerator random = new Well19937c(seed);
        double[] values = new double[resamples];
        int kept = 0;
        int[] idx = new int[n];
        for (int b = 0; b < resamples; b++) {
            for (int i = 0; i < n; i++) {
                idx[i] = random.nextInt(n);
            }
            double v = statistic.applyAsDouble(idx);
            if (!Double.isNaN(v)) {
                values[kept++] = v;
            }
        }
        if (kept < resamples / 2) {
            return Interval.UNDEFINED;
        }
        double[] used = Arrays.copyOf(values, kept);
        Percentile percentile = new Percentile().withEstimationType(Percentile.EstimationType.R_7);
        percentile.setData(used);
        double alpha = (1 - Proportions.CONFIDENCE) / 2;
        return new Interval(percentile.evaluate(100 * alpha), percentile.evaluate(100 * (1 - alpha)));
    }

    /** The mean with its percentile-bootstrap interval; undefined for no values. */
    public Estimate mean(double[] values) {
        if (values.length == 0) {
            return Estimate.UNDEFINED;
        }
        double mean = Arrays.stream(values).average().orElseThrow();
        Interval ci = interval(values.length, idx -> {
            double s = 0;
            for (int i : idx) {
                s += values[i];
            }
            return s / idx.length;
        });
        return new Estimate(mean, ci.isDefined() ? ci : new Interval(mean, mean));
    }
}
