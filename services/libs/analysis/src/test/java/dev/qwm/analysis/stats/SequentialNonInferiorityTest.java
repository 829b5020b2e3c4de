package dev.qwm.analysis.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The sequential test's error rates by simulation (fixed seeds, so every run of this test sees the same draws):
 * paired outcomes with a given Δ and discordance, looked at after every pair up to a maximum.
 */
class SequentialNonInferiorityTest {

    private static final double ALPHA = 0.05;
    private static final double MARGIN = 0.05;

    /** One simulated test: pairs drawn with P(candidate only) = up, P(reference only) = down, until it decides. */
    private static SequentialNonInferiority run(double up, double down, int maxPairs, SplittableRandom random,
                                                double[] neverCovered, double truth) {
        SequentialNonInferiority t = new SequentialNonInferiority(MARGIN, ALPHA);
        boolean missed = false;
        for (int i = 0; i < maxPairs && t.verdict() == SequentialNonInferiority.Verdict.UNDECIDED; i++) {
            double u = random.nextDouble();
            boolean candidate = u < up || u >= up + down && u < up + down + 0.5;
            boolean reference = u >= up && u < up + down || u >= up + down && u < up + down + 0.5;
            t.add(candidate, reference);
            missed |= !t.interval().contains(truth);
        }
        if (missed) {
            neverCovered[0]++;
        }
        return t;
    }

    @Test
    void atTheMarginItPassesAtMostAlphaOverTwoOfTheTimeAndItsIntervalsMissAtMostAlpha() {
        // Δ = −margin exactly, 20 % discordant: the hardest case for a wrong "pass"
        SplittableRandom random = new SplittableRandom(20261207);
        double[] missed = new double[1];
        int runs = 2000;
        int passed = 0;
        for (int r = 0; r < runs; r++) {
            if (run(0.075, 0.125, 1500, random, missed, -MARGIN).verdict() == SequentialNonInferiority.Verdict.PASS) {
                passed++;
            }
        }
        // the bounds hold with room for the simulation's own noise (binomial sd at 0.025 and 2000 runs: 0.0035)
        assertTrue(passed / (double) runs <= ALPHA / 2, "wrong passes " + passed + " of " + runs);
        assertTrue(missed[0] / runs <= ALPHA, "intervals missed the true Δ in " + missed[0] + " of " + runs);
    }

    @Test
    void aCandidateAsGoodAsTheReferencePassesAndOneThatCollapsesFailsEarly() {
        SplittableRandom random = new SplittableRandom(7);
        double[] missed = new double[1];
        int runs = 500;
        int passed = 0;
        long pairs = 0;
        for (int r = 0; r < runs; r++) {
            SequentialNonInferiority t = run(0.05, 0.05, 4000, random, missed, 0); // Δ = 0, 10 % discordant
            passed += t.verdict() == SequentialNonInferiority.Verdict.PASS ? 1 : 0;
            pairs += t.pairs();
        }
        assertTrue(passed >= 0.95 * runs, "passed " + passed + " of " + runs);
        double meanPairs = pairs / (double) runs;
        assertTrue(meanPairs > 100 && meanPairs < 4000, "mean pairs " + meanPairs);

        int failed = 0;
        pairs = 0;
        for (int r = 0; r < runs; r++) {
            SequentialNonInferiority t = run(0.0, 0.6, 1000, random, missed, -0.6); // a 3-bit collapse: Δ = −0.6
            failed += t.verdict() == SequentialNonInferiority.Verdict.FAIL ? 1 : 0;
            pairs += t.pairs();
        }
        assertEquals(runs, failed);
        assertTrue(pairs / (double) runs < 40, "a collapse is seen within a few dozen pairs: " + pairs / (double) runs);
    }

    @Test
    void countsDifferenceAndFixedNAreThoseOfTheTable() {
        SequentialNonInferiority t = new SequentialNonInferiority(0.1, 0.05);
        assertEquals(SequentialNonInferiority.Verdict.UNDECIDED, t.verdict());
        assertTrue(t.fixedPairs(0.8).isEmpty());
        for (int i = 0; i < 40; i++) {
            t.add(i % 2 == 0, i % 2 == 0 || i == 1); // 20 both, 1 reference only, 19 neither
        }
        assertEquals(40, t.pairs());
        assertEquals(20, t.bothSucceed());
        assertEquals(1, t.onlyReference());
        assertEquals(-0.025, t.difference(), 1e-12);
        // σ² = 1/40 − 0.025² = 0.024375; n = (1.95996 + 0.84162)² σ² / 0.075² = 34.01…, but an exact test needs
        // log(0.025) / log(0.9) = 35.01… pairs to pass even with no discordant pair
        assertEquals(36, t.fixedPairs(0.8).getAsInt());
        SequentialNonInferiority tight = new SequentialNonInferiority(0.1, 0.05);
        for (int i = 0; i < 140; i++) {
            tight.add(i != 3, true); // one discordant pair in 140
        }
        assertEquals(1, tight.onlyReference());
        assertEquals(36, tight.fixedPairs(0.8).getAsInt(), "the normal approximation alone would say 7");
        assertThrows(IllegalArgumentException.class, () -> new SequentialNonInferiority(0, 0.05));
        assertThrows(IllegalArgumentException.class, () -> new ConfidenceSequence(1));
    }
}
