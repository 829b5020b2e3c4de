package dev.qwm.quant.transform;

/**
 * SmoothQuant (Xiao et al. 2023), as QuantWM applies it (docs/reference/quantwm.md "Calibration"): per input channel s
 * = max|X|^α / max|W|^(1−α), the weight maximum taken over all layers reading the same LayerNorm output, folded into
 * that LayerNorm and the layers. Channels never active (max|X| = 0) or without weight keep s = 1.
 */
public final class SmoothQuant {

    static final float MIN_SCALE = 1e-5f;
    static final float MAX_SCALE = 1e5f;

    private SmoothQuant() {
    }

    public static EquivalentTransform transform(GroupContext ctx, double alpha) {
        return new EquivalentTransform(scales(ctx.input().channelAbsMax(), ctx.weightAbsMaxPerInputChannel(), alpha), null);
    }

    /** s = a^α / w^(1−α) per channel, with a = max|X|, w = max|W|. */
    public static float[] scales(float[] activationAbsMax, float[] weightAbsMax, double alpha) {
        float[] s = new float[activationAbsMax.length];
        for (int c = 0; c < s.length; c++) {
            double a = activationAbsMax[c];
            double w = weightAbsMax[c];
            double v = a > 0 && w > 0 ? Math.pow(a, alpha) / Math.pow(w, 1 - alpha) : 1;
            s[c] = (float) Math.max(MIN_SCALE, Math.min(MAX_SCALE, v));
        }
        return s;
    }

    public static GroupDecision decide(GroupContext ctx, double alpha) {
        return new GroupDecision(transform(ctx, alpha), java.util.Map.of(), Double.NaN, Double.NaN, "none",
                "alpha=" + alpha);
    }
}
