package dev.qwm.quant.core;

/** Error measures between a reference and an approximation. */
public final class ErrorMetrics {

    private ErrorMetrics() {
    }

    public static double mse(float[] reference, float[] approx) {
        check(reference, approx);
        double s = 0;
        for (int i = 0; i < reference.length; i++) {
            double d = reference[i] - approx[i];
            s += d * d;
        }
        return reference.length == 0 ? 0 : s / reference.length;
    }

    /** Signal-to-quantization-noise ratio in dB: 10·log10(Σref² / Σ(ref − approx)²); +∞ when exact. */
    public static double sqnrDb(float[] reference, float[] approx) {
        check(reference, approx);
        double signal = 0;
        double noise = 0;
        for (int i = 0; i < reference.length; i++) {
            signal += (double) reference[i] * reference[i];
            double d = reference[i] - approx[i];
            noise += d * d;
        }
        if (noise == 0) {
            return Double.POSITIVE_INFINITY;
        }
        return 10 * Math.log10(signal / noise);
    }

    public static double maxAbsDiff(float[] a, float[] b) {
        check(a, b);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    /** ‖a − b‖ / ‖a‖. */
    public static double relativeError(float[] reference, float[] approx) {
        check(reference, approx);
        double n = 0;
        double d = 0;
        for (int i = 0; i < reference.length; i++) {
            n += (double) reference[i] * reference[i];
            double e = reference[i] - approx[i];
            d += e * e;
        }
        return n == 0 ? Math.sqrt(d) : Math.sqrt(d / n);
    }

    private static void check(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
        }
    }
}
