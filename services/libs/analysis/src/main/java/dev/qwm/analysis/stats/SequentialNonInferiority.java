package dev.qwm.analysis.stats;

import java.util.OptionalInt;
import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * A paired, sequential non-inferiority test of a candidate against a reference on the same episodes: is the
 * candidate's success rate at most {@code margin} below the reference's? After every pair of episodes the paired
 * difference D = success_candidate − success_reference ∈ {−1, 0, 1} feeds a {@link ConfidenceSequence} (on (D + 1)/2),
 * so the interval on Δ = E[D] holds at every look at once: the test may stop as soon as it decides.
 * <ul>
 *   <li>pass: the interval's lower end is above −margin (the candidate loses less than the margin);</li>
 *   <li>fail: its upper end is below −margin (the candidate loses more than the margin);</li>
 *   <li>undecided: neither, yet.</li>
 * </ul>
 * Each decision is wrong with probability at most α/2 (each side of the sequence is a one-sided sequence at α/2),
 * whenever the test stops.
 */
public final class SequentialNonInferiority {

    public enum Verdict { PASS, FAIL, UNDECIDED }

    private final double margin;
    private final ConfidenceSequence sequence;
    private int both;
    private int onlyCandidate;
    private int onlyReference;
    private int neither;

    /**
     * @param margin the largest loss in success rate that still counts as "as good", in (0, 1)
     * @param alpha  the error probability of the sequence (two-sided), in (0, 1)
     */
    public SequentialNonInferiority(double margin, double alpha) {
        if (!(margin > 0 && margin < 1)) {
            throw new IllegalArgumentException("margin must lie in (0, 1), got " + margin);
        }
        this.margin = margin;
        this.sequence = new ConfidenceSequence(alpha);
    }

    /** One episode planned by both. */
    public void add(boolean candidate, boolean reference) {
        if (candidate && reference) {
            both++;
        } else if (candidate) {
            onlyCandidate++;
        } else if (reference) {
            onlyReference++;
        } else {
            neither++;
        }
        int d = (candidate ? 1 : 0) - (reference ? 1 : 0);
        sequence.add((d + 1) / 2.0);
    }

    public int pairs() {
        return sequence.count();
    }

    public double margin() {
        return margin;
    }

    public double alpha() {
        return sequence.alpha();
    }

    public int onlyCandidate() {
        return onlyCandidate;
    }

    public int onlyReference() {
        return onlyReference;
    }

    public int bothSucceed() {
        return both;
    }

    public int neither() {
        return neither;
    }

    /** The observed Δ (NaN before any pair). */
    public double difference() {
        int n = pairs();
        return n == 0 ? Double.NaN : (double) (onlyCandidate - onlyReference) / n;
    }

    /** The time-uniform interval on Δ, [−1, 1] before any pair. */
    public Interval interval() {
        Interval x = sequence.interval();
        return new Interval(2 * x.lower() - 1, 2 * x.upper() - 1);
    }

    public Verdict verdict() {
        Interval d = interval();
        if (d.lower() > -margin) {
            return Verdict.PASS;
        }
        if (d.upper() < -margin) {
            return Verdict.FAIL;
        }
        return Verdict.UNDECIDED;
    }

    /**
     * The pairs a fixed-n test would need for the same decision with probability {@code power}: the one-sided paired
     * z-test at level α/2 (the sequence's error on each side) of Δ ≤ −margin, at the observed Δ and discordance,
     * n = (z_{1−α/2} + z_power)² σ² / (Δ + margin)², σ² = P(discordant) − Δ² (at least 1/pairs), and never fewer
     * than an exact test needs to pass with no discordant pair at all, log(α/2) / log(1 − margin) (with few
     * discordant pairs the normal approximation would promise a handful). Empty when the observed Δ is at or below
     * −margin (no fixed n passes then) or before any pair.
     */
    public OptionalInt fixedPairs(double power) {
        int n = pairs();
        double delta = difference();
        if (n == 0 || delta + margin <= 0) {
            return OptionalInt.empty();
        }
        double discordant = (double) (onlyCandidate + onlyReference) / n;
        double variance = Math.max(discordant - delta * delta, 1.0 / n);
        NormalDistribution z = new NormalDistribution(0, 1);
        double zz = z.inverseCumulativeProbability(1 - alpha() / 2) + z.inverseCumulativeProbability(power);
        double normal = zz * zz * variance / ((delta + margin) * (delta + margin));
        double exactFloor = Math.log(alpha() / 2) / Math.log(1 - margin);
        return OptionalInt.of((int) Math.ceil(Math.max(normal, exactFloor)));
    }
}
