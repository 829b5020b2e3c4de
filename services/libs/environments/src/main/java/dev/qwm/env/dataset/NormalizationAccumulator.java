package dev.qwm.env.dataset;

import org.apache.commons.math3.stat.descriptive.SummaryStatistics;

/** Streams episodes into {@link DatasetNormalization} (one {@link SummaryStatistics} per dimension). */
public final class NormalizationAccumulator {

    private final SummaryStatistics[] action;
    private final SummaryStatistics[] proprio;
    private final SummaryStatistics[] state;

    public NormalizationAccumulator(int actionDim, int proprioDim, int stateDim) {
        action = make(actionDim);
        proprio = make(proprioDim);
        state = make(stateDim);
    }

    private static SummaryStatistics[] make(int n) {
        SummaryStatistics[] s = new SummaryStatistics[n];
        for (int i = 0; i < n; i++) {
            s[i] = new SummaryStatistics();
        }
        return s;
    }

    public void add(Episode e) {
        addAll(action, e.actions());
        addAll(proprio, e.proprio());
        addAll(state, e.states());
    }

    private static void addAll(SummaryStatistics[] stats, float[] flat) {
        int d = stats.length;
        for (int i = 0; i < flat.length; i++) {
            stats[i % d].addValue(flat[i]);
        }
    }

    public DatasetNormalization result() {
        if (action[0].getN() < 2) {
            throw new IllegalStateException("normalisation needs at least two actions");
        }
        return new DatasetNormalization(means(action), stds(action), means(proprio), stds(proprio), means(state), stds(state),
                action[0].getN(), state[0].getN());
    }

    private static double[] means(SummaryStatistics[] s) {
        double[] out = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = s[i].getMean();
        }
        return out;
    }

    private static double[] stds(SummaryStatistics[] s) {
        double[] out = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = s[i].getStandardDeviation(); // bias-corrected, as torch.std
        }
        return out;
    }
}
