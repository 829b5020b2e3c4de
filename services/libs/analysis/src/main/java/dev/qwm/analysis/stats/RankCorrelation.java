package dev.qwm.analysis.stats;

import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;
import org.apache.commons.math3.stat.ranking.NaNStrategy;
import org.apache.commons.math3.stat.ranking.NaturalRanking;
import org.apache.commons.math3.stat.ranking.TiesStrategy;

import java.util.Arrays;

/**
 * Spearman's rank correlation: Pearson's correlation of the ranks, tied values sharing their average rank (so a
 * binary variable such as episode success is ranked 1.5-style and ρ is the rank point-biserial correlation).
 * Pairs where either value is not finite are left out. The interval is a percentile bootstrap over pairs with a
 * fixed seed; the p-value uses the t approximation t = ρ·√((n−2)/(1−ρ²)) with n−2 degrees of freedom.
 */
public final class RankCorrelation {

    private static final SpearmansCorrelation SPEARMAN =
            new SpearmansCorrelation(new NaturalRanking(NaNStrategy.FAILED, TiesStrategy.AVERAGE));

    private RankCorrelation() {
    }

    /** ρ with its 95 % interval and p-value; undefined (NaN) when fewer than 3 pairs or either side is constant. */
    public static Correlation spearman(double[] x, double[] y) {
        return spearman(x, y, Bootstrap.standard());
    }

    public static Correlation spearman(double[] x, double[] y, Bootstrap bootstrap) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("Spearman needs paired values; got " + x.length + " and " + y.length);
        }
        int kept = 0;
        double[] xs = new double[x.length];
        double[] ys = new double[y.length];
        for (int i = 0; i < x.length; i++) {
            if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                xs[kept] = x[i];
                ys[kept] = y[i];
                kept++;
            }
        }
        double[] a = Arrays.copyOf(xs, kept);
        double[] b = Arrays.copyOf(ys, kept);
        int n = kept;
        double rho = rho(a, b);
        if (Double.isNaN(rho)) {
            return new Correlation(n, Estimate.UNDEFINED, Double.NaN);
        }
        Interval ci = bootstrap.interval(n, idx -> {
            double[] ra = new double[idx.length];
            double[] rb = new double[idx.length];
            for (int i = 0; i < idx.length; i++) {
                ra[i] = a[idx[i]];
                rb[i] = b[idx[i]];
            }
            return rho(ra, rb);
        });
        return new Correlation(n, new Estimate(rho, ci), pValue(rho, n));
    }

    /** Spearman's ρ alone; NaN when fewer than 3 values or either side is constant. */
    public static double rho(double[] x, double[] y) {
        if (x.length < 3 || constant(x) || constant(y)) {
            return Double.NaN;
        }
        return SPEARMAN.correlation(x, y);
    }

    private static double pValue(double rho, int n) {
        if (n < 4) {
            return Double.NaN;
        }
        if (Math.abs(rho) >= 1) {
            return 0;
        }
        double t = rho * Math.sqrt((n - 2) / (1 - rho * rho));
        return 2 * new TDistribution(n - 2).cumulativeProbability(-Math.abs(t));
    }

    private static boolean constant(double[] v) {
        for (double d : v) {
            if (d != v[0]) {
                return false;
            }
        }
        return true;
    }

    /** A correlation over {@code n} pairs: ρ with its interval, and the p-value of ρ = 0. */
    public record Correlation(int n, Estimate rho, double pValue) {
        public boolean isDefined() {
            return rho.isDefined();
        }
    }
}
