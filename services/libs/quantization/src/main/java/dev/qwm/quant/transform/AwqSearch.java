package dev.qwm.quant.transform;

import dev.qwm.onnx.graph.LinearLayer;
import dev.qwm.quant.calib.TensorStatistics;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.recipe.LayerPlan;
import dev.qwm.quant.recipe.MethodOptions;
import dev.qwm.quant.weights.HessianClipSearch;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * AWQ (Lin et al. 2024) on one layer group, as QuantWM's auto_scale and auto_clip (docs/reference/quantwm.md "AWQ"),
 * with its flaw fixed: the quantization scales are computed from the weights after scaling and clipping, not before.
 * <ol>
 * <li>Scale search: s = mean|x|^α per input channel, normalised by √(max s · min s), for α on a grid in [0, 1);
 * each candidate folds s into the LayerNorm and the group's weights, rounds them min-max at the recipe's format and
 * is judged on the objective (the block output; α = 0 is plain RTN, so the search never does worse on it).</li>
 * <li>Clip search per layer: each output channel (group) clipped to max|W'|·(1 − i·step), i = 0..clipSteps−1,
 * choosing the clip with the least layer-output error on calibration data (Δᵀ H' Δ, H' = X'ᵀX').</li>
 * </ol>
 */
public final class AwqSearch {

    private AwqSearch() {
    }

    public static GroupDecision decide(GroupContext ctx, GroupObjective objective, MethodOptions.Awq options) {
        float[] meanAbs = ctx.input().channelMeanAbs();
        EquivalentTransform identity = EquivalentTransform.identity(ctx.group().width());
        double baseline = objective.error(ctx.candidate(identity, ctx::rtn));
        EquivalentTransform best = identity;
        double bestErr = baseline;
        double bestAlpha = 0;
        for (int i = 1; i < options.scaleGrid(); i++) {
            double alpha = (double) i / options.scaleGrid();
            EquivalentTransform t = new EquivalentTransform(scales(meanAbs, alpha), null);
            double err = objective.error(ctx.candidate(t, ctx::rtn));
            if (err < bestErr) {
                bestErr = err;
                best = t;
                bestAlpha = alpha;
            }
        }
        Map<String, QuantizedWeights> clipped = clip(ctx, best, options);
        double finalErr = objective.error(ctx.candidate(best, (l, w) -> clipped.get(l.name())));
        return new GroupDecision(best, clipped, baseline, finalErr, objective.describe(),
                String.format(Locale.ROOT, "alpha=%.3f, clip levels %d×%.3f", bestAlpha, options.clipSteps(), options.clipStep()));
    }

    /** AWQ's normalised activation scales mean|x|^α / √(max · min). */
    public static float[] scales(float[] meanAbs, double alpha) {
        double[] s = new double[meanAbs.length];
        double max = 0;
        double min = Double.POSITIVE_INFINITY;
        for (int c = 0; c < s.length; c++) {
            s[c] = Math.pow(Math.max(meanAbs[c], 1e-4), alpha);
            max = Math.max(max, s[c]);
            min = Math.min(min, s[c]);
        }
        double norm = Math.sqrt(max * min);
        float[] out = new float[s.length];
        for (int c = 0; c < s.length; c++) {
            out[c] = (float) (s[c] / norm);
        }
        return out;
    }

    static Map<String, QuantizedWeights> clip(GroupContext ctx, EquivalentTransform t, MethodOptions.Awq options) {
        TensorStatistics transformed = ctx.input().transformed(t.scale(), t.shift());
        double[] h = transformed.gram();
        double[] grid = HessianClipSearch.shrinkGrid(options.clipSteps(), options.clipStep());
        Map<String, QuantizedWeights> out = new LinkedHashMap<>();
        for (LinearLayer l : ctx.group().layers()) {
            LayerPlan plan = ctx.plan(l);
            if (plan == null) {
                continue;
            }
            float[] w = t.weights(ctx.weights(l), l.outFeatures(), l.inFeatures());
            out.put(l.name(), HessianClipSearch.search(w, l.outFeatures(), l.inFeatures(), plan.weights(), h, grid, 1));
        }
        return out;
    }
}
