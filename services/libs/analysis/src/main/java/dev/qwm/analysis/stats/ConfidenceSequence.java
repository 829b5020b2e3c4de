package dev.qwm.analysis.stats;

/**
 * A confidence sequence for the mean of observations in [0, 1]: intervals [L_t, U_t], one after every observation,
 * that all contain the mean at once with probability at least 1 − α, however many times they are looked at and
 * whenever the looking stops. This is what a sequential test needs: a fixed-n interval looked at after every batch
 * would exclude a true mean far more often than α.
 *
 * <p>The predictable plug-in empirical-Bernstein confidence sequence (PrPl-EB) of Waudby-Smith and Ramdas,
 * "Estimating means of bounded random variables by betting", J. R. Stat. Soc. B 86(1):1–27 (2024), Theorem 2:
 * <pre>
 *   centre_t = Σ λ_i X_i / Σ λ_i,   radius_t = (log(2/α) + Σ v_i ψ_E(λ_i)) / Σ λ_i
 *   v_i = 4 (X_i − μ̂_{i−1})²,      ψ_E(λ) = (−log(1 − λ) − λ) / 4
 *   λ_i = min(sqrt(2 log(2/α) / (σ̂²_{i−1} · i · log(1 + i))), 1/2)
 *   μ̂_t = (1/2 + Σ_{i≤t} X_i) / (t + 1),   σ̂²_t = (1/4 + Σ_{i≤t} (X_i − μ̂_i)²) / (t + 1)
 * </pre>
 * Its width adapts to the variance, which matters here: two models that agree on most episodes give paired
 * differences that are mostly 0. The running intersection of the intervals is reported (also a valid sequence), and
 * each side alone is a one-sided sequence at level α/2.
 */
public final class ConfidenceSequence {

    /** The largest bet, as the paper's experiments use. */
    static final double MAX_LAMBDA = 0.5;

    private final double alpha;
    private final double logTerm;
    private int n;
    private double sumX;
    /** μ̂ and σ̂² after the observations so far (the predictable estimates for the next one). */
    private double mean = 0.5;
    private double sumSquares;
    private double variance = 0.25;
    private double sumLambda;
    private double sumLambdaX;
    private double sumPenalty;
    private double lower = 0;
    private double upper = 1;

    /** @param alpha the probability that some interval of the sequence misses the mean, in (0, 1) */
    public ConfidenceSequence(double alpha) {
        if (!(alpha > 0 && alpha < 1)) {
            throw new IllegalArgumentException("alpha must lie in (0, 1), got " + alpha);
        }
        this.alpha = alpha;
        this.logTerm = Math.log(2 / alpha);
    }

    /** Adds one observation in [0, 1] and narrows the interval. */
    public void add(double x) {
        if (!(x >= 0 && x <= 1)) {
            throw new IllegalArgumentException("observations must lie in [0, 1], got " + x);
        }
        int i = n + 1;
        double lambda = Math.min(Math.sqrt(2 * logTerm / (variance * i * Math.log(1 + i))), MAX_LAMBDA);
        double v = 4 * (x - mean) * (x - mean);
        sumLambda += lambda;
        sumLambdaX += lambda * x;
        sumPenalty += v * (-Math.log(1 - lambda) - lambda) / 4;
        double centre = sumLambdaX / sumLambda;
        double radius = (logTerm + sumPenalty) / sumLambda;
        lower = Math.max(lower, centre - radius);
        upper = Math.min(upper, centre + radius);
        if (lower > upper) {
            // the running intersection became empty: possible only on the miscovering event; keep it a point
            double mid = (lower + upper) / 2;
            lower = mid;
            upper = mid;
        }
        n = i;
        sumX += x;
        mean = (0.5 + sumX) / (n + 1);
        sumSquares += (x - mean) * (x - mean);
        variance = (0.25 + sumSquares) / (n + 1);
    }

    public int count() {
        return n;
    }

    public double alpha() {
        return alpha;
    }

    /** The running intersection [L_t, U_t] of the sequence so far ([0, 1] before any observation). */
    public Interval interval() {
        return new Interval(lower, upper);
    }

    /** The mean of the observations so far (NaN before any). */
    public double sampleMean() {
        return n == 0 ? Double.NaN : sumX / n;
    }
}
