package dev.qwm.analysis.stats;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProportionsTest {

    private static final double TABLE = 5e-5; // published values have 4 decimals

    @Test
    void wilsonIntervalsMatchNewcombesPublishedExamples() {
        // Newcombe (1998) Stat Med 17:857, Table II, method 3 (score, no continuity correction)
        assertInterval(0.2553, 0.3662, Proportions.wilson(81, 263, 0.95));
        assertInterval(0.0624, 0.1605, Proportions.wilson(15, 148, 0.95));
        assertInterval(0.0000, 0.1611, Proportions.wilson(0, 20, 0.95));
        assertInterval(0.0061, 0.1718, Proportions.wilson(1, 29, 0.95));
    }

    @Test
    void wilsonIsSymmetricAndStaysInsideZeroOne() {
        Interval low = Proportions.wilson(3, 50, 0.95);
        Interval high = Proportions.wilson(47, 50, 0.95);
        assertEquals(low.lower(), 1 - high.upper(), 1e-12);
        assertEquals(low.upper(), 1 - high.lower(), 1e-12);
        Interval all = Proportions.wilson(50, 50, 0.95);
        assertEquals(1.0, all.upper());
        assertTrue(all.lower() > 0.9 && all.lower() < 1);
        assertEquals(0.5, Proportions.rate(25, 50).value());
    }

    @Test
    void zQuantile() {
        assertEquals(1.959964, Proportions.z(0.95), 1e-6);
        assertEquals(2.575829, Proportions.z(0.99), 1e-6);
    }

    @Test
    void pairedDifferenceMatchesTheNewcombeSquareAndAddReference() {
        // Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables", ch. 8: complete response before
        // and after consolidation therapy, table [[59, 6], [16, 80]]: estimate −0.0621, 95 % CI −0.1186 to −0.0046
        PairedDifference d = Proportions.pairedDifference(59, 6, 16, 80);
        assertEquals(161, d.pairs());
        assertEquals(-10.0 / 161, d.difference().value(), 1e-12);
        assertInterval(-0.1186, -0.0046, d.difference().interval());
        assertEquals(22, d.discordant());
    }

    @Test
    void pairedDifferenceByHand() {
        // 36 both, 12 first only, 2 second only, 0 neither: n = 50, p1 = 0.96, p2 = 0.76, difference 0.2.
        // A second row or column is all zero for none of the margins, but 'neither' is 0, so the concordance
        // 36·0 − 12·2 = −24 < 0 gives phi = −24 / sqrt(48·2·38·12) and a wider interval than phi = 0.
        PairedDifference d = Proportions.pairedDifference(36, 12, 2, 0);
        assertEquals(0.2, d.difference().value(), 1e-12);
        Interval w1 = Proportions.wilson(48, 50, 0.95);
        Interval w2 = Proportions.wilson(38, 50, 0.95);
        double phi = -24 / Math.sqrt(48.0 * 2 * 38 * 12);
        double dl1 = 0.96 - w1.lower();
        double du1 = w1.upper() - 0.96;
        double dl2 = 0.76 - w2.lower();
        double du2 = w2.upper() - 0.76;
        assertEquals(0.2 - Math.sqrt(dl1 * dl1 - 2 * phi * dl1 * du2 + du2 * du2), d.difference().interval().lower(), 1e-12);
        assertEquals(0.2 + Math.sqrt(dl2 * dl2 - 2 * phi * dl2 * du1 + du1 * du1), d.difference().interval().upper(), 1e-12);
        assertTrue(d.difference().interval().excludesZeroAbove());
        // exact McNemar: 2 of 14 discordant pairs favour the second; P(X ≤ 2 or X ≥ 12 | n=14, 1/2) = 2·(1+14+91)/2^14
        assertEquals(2 * 106 / 16384.0, d.mcnemarP(), 1e-12);
    }

    @Test
    void identicalConfigurationsDifferByNothing() {
        PairedDifference d = Proportions.pairedDifference(30, 0, 0, 20);
        assertEquals(0, d.difference().value());
        assertTrue(d.difference().interval().contains(0));
        assertTrue(d.difference().interval().width() < 0.1, "perfect agreement narrows the interval: " + d);
        assertEquals(1.0, d.mcnemarP());
        // the unpaired interval ignores the agreement and is much wider
        Estimate unpaired = Proportions.independentDifference(30, 50, 30, 50);
        assertTrue(unpaired.interval().width() > 3 * d.difference().interval().width());
    }

    @Test
    void independentDifferenceMatchesNewcombesExample() {
        // Newcombe (1998) Stat Med 17:873, Table II example (a): 56/70 − 48/80 = 0.2, method 10: 0.0524 to 0.3339
        Estimate d = Proportions.independentDifference(56, 70, 48, 80);
        assertEquals(0.2, d.value(), 1e-12);
        assertInterval(0.0524, 0.3339, d.interval());
    }

    @Test
    void badCountsAreRefusedWithTheirValues() {
        var e = assertThrows(IllegalArgumentException.class, () -> Proportions.wilson(5, 0, 0.95));
        assertTrue(e.getMessage().contains("n = 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Proportions.wilson(6, 5, 0.95));
        assertThrows(IllegalArgumentException.class, () -> Proportions.pairedDifference(0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Proportions.pairedDifference(1, -1, 0, 0));
    }

    @Test
    void successesPairedByEpisodeLeaveOutEpisodesOnlyOneSideHolds() {
        java.util.Map<Integer, Boolean> first = java.util.Map.of(0, true, 1, true, 2, false, 3, false, 4, true);
        java.util.Map<Integer, Boolean> second = java.util.Map.of(0, true, 1, false, 2, true, 3, false, 9, true);
        PairedDifference d = Proportions.pairedDifference(first, second);
        assertEquals(Proportions.pairedDifference(1, 1, 1, 1), d);
        assertThrows(IllegalArgumentException.class,
                () -> Proportions.pairedDifference(java.util.Map.of(1, true), java.util.Map.of(2, true)));
    }

    private static void assertInterval(double lower, double upper, Interval actual) {
        assertEquals(lower, actual.lower(), TABLE, "lower end of " + actual);
        assertEquals(upper, actual.upper(), TABLE, "upper end of " + actual);
    }
}
