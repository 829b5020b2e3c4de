package dev.qwm.analysis.stats;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BootstrapTest {

    @Test
    void meanIntervalIsCloseToTheNormalTheory() {
        double[] v = new double[200];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < v.length; i++) {
            v[i] = 10 + 2 * r.nextGaussian();
        }
        Estimate m = Bootstrap.standard().mean(v);
        double sd = new org.apache.commons.math3.stat.descriptive.moment.StandardDeviation().evaluate(v);
        double half = 1.96 * sd / Math.sqrt(v.length);
        assertEquals(m.value() - half, m.interval().lower(), 0.1 * half);
        assertEquals(m.value() + half, m.interval().upper(), 0.1 * half);
    }

    @Test
    void sameSeedSameInterval() {
        double[] v = {1, 4, 2, 8, 5, 7};
        assertEquals(new Bootstrap(500, 1).mean(v), new Bootstrap(500, 1).mean(v));
        assertTrue(new Bootstrap(500, 1).mean(v).interval().lower() >= 1);
    }

    @Test
    void constantValuesGiveAPointInterval() {
        Estimate m = Bootstrap.standard().mean(new double[]{3, 3, 3});
        assertEquals(new Interval(3, 3), m.interval());
        assertFalse(Bootstrap.standard().mean(new double[0]).isDefined());
    }

    @Test
    void tooFewResamplesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Bootstrap(10, 1));
    }
}
