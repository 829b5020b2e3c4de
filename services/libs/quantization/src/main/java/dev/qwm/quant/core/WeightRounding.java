package dev.qwm.quant.core;

import dev.qwm.quant.recipe.WeightSpec;

/**
 * Symmetric weight rounding as QuantWM's min-max observer does it (FQ-ViT, docs/reference/quantwm.md "Numerical
 * format"): scale = max|w| / ((qmax − qmin)/2), e.g. max|w| / 7.5 for int4, code = clamp(rint(w / scale), qmin, qmax).
 * Rounding is half-to-even, like ONNX.
 */
public final class WeightRounding {

    private WeightRounding() {
    }

    /** The min-max scale of a set of weights with largest magnitude {@code absMax}; 1 for an all-zero group. */
    public static float minMaxScale(double absMax, WeightSpec spec) {
        double halfRange = (spec.qmax() - spec.qmin()) / 2.0;
        float s = (float) (absMax / halfRange);
        return s > 0 && Float.isFinite(s) ? s : 1f;
    }

    public static int code(float w, float scale, WeightSpec spec) {
        float q = (float) Math.rint(w / scale);
        return (int) Math.max(spec.qmin(), Math.min(spec.qmax(), q));
    }

    public static float absMax(float[] w, int from, int to) {
        float m = 0;
        for (int i = from; i < to; i++) {
            m = Math.max(m, Math.abs(w[i]));
        }
        return m;
    }

    /** Codes for {@code w} (out×in) with the given per-(row, group) scales. */
    public static QuantizedWeights withScales(float[] w, int out, int in, WeightSpec spec, float[] scales) {
        GroupLayout l = new GroupLayout(in, spec.groupSize());
        int gpr = l.groupsPerRow();
        byte[] codes = new byte[out * in];
        for (int n = 0; n < out; n++) {
            for (int g = 0; g < gpr; g++) {
                float s = scales[n * gpr + g];
                for (int k = l.start(g); k < l.end(g); k++) {
                    codes[n * in + k] = (byte) code(w[n * in + k], s, spec);
                }
            }
        }
        return new QuantizedWeights(out, in, spec, codes, scales);
    }

    /** Codes with scales = min-max scale of (ratio × max|w|) per (row, group): clipped rounding. */
    public static QuantizedWeights withRatios(float[] w, int out, int in, WeightSpec spec, float[] ratios) {
        GroupLayout l = new GroupLayout(in, spec.groupSize());
        int gpr = l.groupsPerRow();
        float[] scales = new float[out * gpr];
        for (int n = 0; n < out; n++) {
            for (int g = 0; g < gpr; g++) {
                scales[n * gpr + g] = minMaxScale(absMax(w, n * in + l.start(g), n * in + l.end(g)) * (double) ratios[n * gpr + g], spec);
            }
        }
        return withScales(w, out, in, spec, scales);
    }

    /** Squared error of rounding w[from, to) with {@code scale}. */
    public static double roundingError(float[] w, int from, int to, float scale, WeightSpec spec) {
        double e = 0;
        for (int i = from; i < to; i++) {
            double d = w[i] - code(w[i], scale, spec) * scale;
            e += d * d;
        }
        return e;
    }
}
