package dev.qwm.analysis.stats;

import java.util.Locale;

/** A point estimate with its 95 % interval. */
public record Estimate(double value, Interval interval) {

    public static final Estimate UNDEFINED = new Estimate(Double.NaN, Interval.UNDEFINED);

    public boolean isDefined() {
        return !Double.isNaN(value);
    }

    public String format(int decimals) {
        if (!isDefined()) {
            return "–";
        }
        return String.format(Locale.ROOT, "%." + decimals + "f", value) + " " + interval.format(decimals);
    }

    /** Signed form for differences: {@code +0.12 [+0.02, +0.22]}. */
    public String formatSigned(int decimals) {
        if (!isDefined()) {
            return "–";
        }
        String f = "%+." + decimals + "f";
        return String.format(Locale.ROOT, f, value) + " [" + String.format(Locale.ROOT, f, interval.lower()) + ", "
                + String.format(Locale.ROOT, f, interval.upper()) + "]";
    }

    @Override
    public String toString() {
        return format(3);
    }
}
