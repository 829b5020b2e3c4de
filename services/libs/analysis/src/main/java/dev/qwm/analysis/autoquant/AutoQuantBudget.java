package dev.qwm.analysis.autoquant;

import java.util.Locale;

/**
 * What an automatic quantization may cost, relative to full precision: {@code bytes=F} (the weight bytes of encoder
 * and predictor together, as the quantizer's manifest counts them, at most F times full precision's) or {@code ms=F}
 * (the measured time of one CEM step on this CPU at most F times full precision's).
 */
public record AutoQuantBudget(Kind kind, double fraction) {

    /** The cost a budget bounds. */
    public enum Kind {
        BYTES("bytes"), MS("ms");

        private final String id;

        Kind(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }
    }

    /** How a candidate stands against the budget. */
    public enum Fit {
        /** Within the budget (under a time budget: by more than the timing noise). */
        UNDER("under"),
        /** Timed within the budget, but its saving over FP is not larger than the spread of the repetitions. */
        WITHIN_NOISE("within noise"),
        /** Over the budget. */
        OVER("over");

        private final String label;

        Fit(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** The rule of {@link #judgeTimes}, in words, for the front and the help. */
    public static final String TIME_RULE = "a candidate fits a time budget when its least CPU time per CEM step is at"
            + " most F times FP's and its saving (FP's least minus its least) exceeds the spread of the repetitions"
            + " (the larger of the two bundles' slowest minus fastest); one within the budget but not beyond that"
            + " spread is within noise and is not confirmed";

    public AutoQuantBudget {
        if (kind == null) {
            throw new IllegalArgumentException("a budget needs a kind: bytes or ms");
        }
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "--budget %s=%s: the fraction of full"
                    + " precision's %s must lie in (0, 1]", kind.id(), fraction, kind.id()));
        }
    }

    /** {@code bytes=0.25} or {@code ms=0.5}; anything else is refused naming what is wrong. */
    public static AutoQuantBudget parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("--budget is empty; give bytes=F or ms=F, e.g. bytes=0.25");
        }
        String t = text.trim();
        int eq = t.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException("--budget '" + text + "' has no '=': give bytes=F or ms=F, e.g. bytes=0.25");
        }
        String name = t.substring(0, eq).trim().toLowerCase(Locale.ROOT);
        Kind kind = switch (name) {
            case "bytes" -> Kind.BYTES;
            case "ms" -> Kind.MS;
            default -> throw new IllegalArgumentException("--budget '" + text + "': unknown cost '" + name
                    + "'; the budget is bytes=F (weight bytes) or ms=F (time per CEM step)");
        };
        String value = t.substring(eq + 1).trim();
        double f;
        try {
            f = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--budget '" + text + "': '" + value + "' is not a number; give a"
                    + " fraction of full precision's " + kind.id() + " in (0, 1], e.g. " + kind.id() + "=0.25");
        }
        if (Double.isNaN(f)) {
            throw new IllegalArgumentException("--budget '" + text + "': '" + value + "' is not a number");
        }
        return new AutoQuantBudget(kind, f);
    }

    /** The cost allowed, given full precision's. */
    public double limit(double fullPrecision) {
        return fraction * fullPrecision;
    }

    /** Whether {@code cost} fits, given full precision's cost. */
    public boolean fits(double cost, double fullPrecision) {
        return cost <= limit(fullPrecision);
    }

    /**
     * A time budget's verdict from repeated, interleaved timings (CPU ms per CEM step) of a candidate and of FP: see
     * {@link #TIME_RULE}. A single timing would let a machine's noise pass for a saving (or hide one); the spread
     * of the repetitions is what a difference must exceed to be one.
     *
     * @throws IllegalArgumentException for a bytes budget, or without a finite timing on either side
     */
    public Fit judgeTimes(double[] candidateMs, double[] fullPrecisionMs) {
        if (kind != Kind.MS) {
            throw new IllegalArgumentException("timings are judged against a time budget (ms=F), not " + this);
        }
        double[] c = finite(candidateMs, "the candidate");
        double[] f = finite(fullPrecisionMs, "full precision");
        double cLeast = java.util.Arrays.stream(c).min().orElseThrow();
        double fLeast = java.util.Arrays.stream(f).min().orElseThrow();
        if (cLeast > limit(fLeast)) {
            return Fit.OVER;
        }
        double spread = Math.max(spread(c), spread(f));
        return fLeast - cLeast > spread ? Fit.UNDER : Fit.WITHIN_NOISE;
    }

    /** Slowest minus fastest of finite timings. */
    public static double spread(double[] ms) {
        double[] v = finite(ms, "timings");
        return java.util.Arrays.stream(v).max().orElseThrow() - java.util.Arrays.stream(v).min().orElseThrow();
    }

    private static double[] finite(double[] ms, String what) {
        double[] v = ms == null ? new double[0] : java.util.Arrays.stream(ms).filter(Double::isFinite).toArray();
        if (v.length == 0) {
            throw new IllegalArgumentException(what + " has no finite timing to judge a time budget by");
        }
        return v;
    }

    @Override
    public String toString() {
        return kind.id() + "=" + new java.math.BigDecimal(Double.toString(fraction)).stripTrailingZeros().toPlainString();
    }
}
