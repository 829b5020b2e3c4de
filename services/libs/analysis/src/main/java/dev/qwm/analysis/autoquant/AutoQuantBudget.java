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

    @Override
    public String toString() {
        return kind.id() + "=" + new java.math.BigDecimal(Double.toString(fraction)).stripTrailingZeros().toPlainString();
    }
}
