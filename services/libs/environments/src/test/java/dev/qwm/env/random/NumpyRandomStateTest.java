package dev.qwm.env.random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Reference values printed by numpy 2.4 ({@code np.random.RandomState}), which keeps the legacy streams. */
class NumpyRandomStateTest {

    @Test
    void randomSampleAndUniformMatchNumpy() {
        NumpyRandomState rs = new NumpyRandomState(0);
        assertEquals(0.5488135039273248, rs.randomSample(), 0.0);
        assertEquals(20.416446467978037, rs.uniform(7.4, 25.6), 0.0);
    }

    @Test
    void randintAndGaussMatchNumpy() {
        NumpyRandomState rs = new NumpyRandomState(1);
        assertEquals(87, rs.randint(50, 450));
        assertEquals(285, rs.randint(50, 450));
        assertEquals(446, rs.randint(50, 450));
        assertEquals(-1.601721003768678, rs.standardNormal(), 1e-15);
        assertEquals(-1.477829570840994, rs.standardNormal(), 1e-15);
        assertEquals(0.4834958474717788, rs.standardNormal(), 1e-15);
    }

    @Test
    void vonMisesMatchesNumpy() {
        NumpyRandomState rs = new NumpyRandomState(12345);
        assertEquals(0.1325583260597396, rs.vonMises(0, 5), 1e-12);
        assertEquals(0.7062167039008695, rs.vonMises(0, 5), 1e-12);
    }

    @Test
    void rejectsSeedsNumpyRejects() {
        assertThrows(IllegalArgumentException.class, () -> new NumpyRandomState(-1));
        assertThrows(IllegalArgumentException.class, () -> new NumpyRandomState(1L << 32));
    }
}
