package dev.qwm.analysis.stats;

import java.util.Locale;

/** A closed interval [lower, upper], e.g. a 95 % confidence interval. */
public record Interval(double lower, double upper) {

    public Interval {
        if (Double.isNaN(lower) != Double.isNaN(upper)) {
            throw new IllegalArgumentException("an interval has both ends or neither: [" + lower + ", " + upper + "]");
        }
        if (lower > upper) {
            throw new IllegalArgumentException("interval lower end " + lower + " is above its upper end " + upper);
        }
    }

    /** The interval with no ends, for a statistic that is undefined on the data (e.g. a correlation with a constant). */
    public static final Interval UNDEFINED = new Interval(Double.NaN, Double.NaN);

    public boolean isDefined() {
        return !Double.isNaN(lower);
    }

    public boolean contains(double x) {
        return x >= lower && x <= upper;
    }

    /** Whether the whole interval lies above zero (a difference that is not noise, at this confidence). */
    public boolean excludesZeroAbove() {
        return lower > 0;
    }

    public boolean excludesZeroBelow() {
        return upper < 0;
    }

    public double width() {
        return upper - lower;
    }

    public String format(int decimals) {
        if (!isDefined()) {
            return "[–]";
        }
        String f = "%." + decimals + "f";
        return "[" + String.format(Locale.ROOT, f, lower) + ", " + String.format(Locale.ROOT, f, upper) + "]";
    }

    @Override
    public String toString() {
        return format(3);
    }
}
