package dev.qwm.analysis.stats;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RankCorrelationTest {

    @Test
    void tiesShareTheirAverageRank() {
        // x ranks 1, 2.5, 2.5, 4, 5; y ranks 2, 1, 3.5, 3.5, 5: both have Σ(r − 3)² = 9.5 and the cross sum is
        // (−2)(−1) + (−0.5)(−2) + (−0.5)(0.5) + (1)(0.5) + (2)(2) = 7.25, so ρ = 7.25 / 9.5 = 29/38
        double rho = RankCorrelation.rho(new double[]{1, 2, 2, 3, 4}, new double[]{2, 1, 3, 3, 5});
        assertEquals(29.0 / 38.0, rho, 1e-12);
    }

    @Test
    void binaryOutcomeGivesTheRankPointBiserial() {
        // loss ranks 1..4, success ranks 3.5, 3.5, 1.5, 1.5: ρ = −4 / sqrt(5 · 4) = −2/√5
        double rho = RankCorrelation.rho(new double[]{0.1, 0.2, 0.3, 0.4}, new double[]{1, 1, 0, 0});
        assertEquals(-2 / Math.sqrt(5), rho, 1e-12);
    }

    @Test
    void monotoneIsOneAndReversedIsMinusOne() {
        double[] x = {1, 5, 2, 8, 3};
        assertEquals(1.0, RankCorrelation.rho(x, new double[]{10, 50, 20, 80, 30}), 1e-12);
        assertEquals(-1.0, RankCorrelation.rho(x, new double[]{-1, -500, -2, -8000, -3}), 1e-12);
    }

    @Test
    void constantSideIsUndefinedNotAnError() {
        var c = RankCorrelation.spearman(new double[]{1, 2, 3, 4}, new double[]{1, 1, 1, 1});
        assertFalse(c.isDefined());
        assertEquals(4, c.n());
    }

    @Test
    void nonFinitePairsAreLeftOut() {
        var c = RankCorrelation.spearman(new double[]{1, 2, Double.NaN, 3, 4, 5}, new double[]{2, 4, 1, 6, 8, 10});
        assertEquals(5, c.n());
        assertEquals(1.0, c.rho().value(), 1e-12);
    }

    @Test
    void intervalCoversTheEstimateAndPValueFollowsT() {
        double[] x = new double[40];
        double[] y = new double[40];
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
            y[i] = i + 15 * r.nextGaussian();
        }
        var c = RankCorrelation.spearman(x, y);
        assertTrue(c.rho().interval().contains(c.rho().value()), c.toString());
        assertTrue(c.rho().value() > 0.3 && c.pValue() < 0.05, c.toString());
        double rho = c.rho().value();
        double t = rho * Math.sqrt(38 / (1 - rho * rho));
        assertEquals(2 * new org.apache.commons.math3.distribution.TDistribution(38).cumulativeProbability(-t), c.pValue(), 1e-12);
        // fixed seed: the same data gives the same interval
        assertEquals(c, RankCorrelation.spearman(x, y));
    }

    @Test
    void mismatchedLengthsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> RankCorrelation.spearman(new double[3], new double[4]));
    }
}
