package dev.qwm.quant.transform;

import dev.qwm.onnx.graph.LinearLayer;
import dev.qwm.quant.calib.TensorStatistics;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.core.WeightRounding;
import dev.qwm.quant.recipe.LayerPlan;
import dev.qwm.quant.recipe.MethodOptions;
import dev.qwm.quant.weights.HessianClipSearch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * OmniQuant (Shao et al. 2024) on one layer group: a learnable equivalent transform (LET: per-channel scale s and
 * shift δ of the group input, folded into the LayerNorm and the layers) and learnable weight clipping (LWC: a clip
 * ratio per output channel or group), optimised block by block on calibration data.
 *
 * <p>Optimised here without gradients (documented substitute for OmniQuant's AdamW): LET is searched in the
 * family s = A^α / max|W|^(1−α), A = max|X − δ| per channel, δ = 0 or the channel midpoint (max + min)/2 (OmniQuant's
 * initialisation), judged on the block output with all the group's layers quantized as the recipe says; LWC picks
 * per channel/group the clip ratio in [minClip, 1] minimising the layer-output error Δᵀ H' Δ on calibration data.
 * Each epoch runs an α grid (refined around the best after the first epoch) and then LWC for the chosen transform,
 * keeping a change only if the block error falls. Epoch 0 is the initialisation α = 0.5, no shift, no clipping: what
 * QuantWM's default ({@code omni_epochs = 0}) amounted to (docs/reference/quantwm.md "OmniQuant").
 */
public final class OmniQuantSearch {

    private record State(double alpha, boolean shift, Map<String, float[]> ratios) {
    }

    private OmniQuantSearch() {
    }

    public static GroupDecision decide(GroupContext ctx, GroupObjective objective, MethodOptions.OmniQuant options) {
        double baseline = objective.error(ctx.candidate(EquivalentTransform.identity(ctx.group().width()), ctx::rtn));
        State best = new State(0.5, false, Map.of());
        double bestErr = objective.error(candidate(ctx, best));
        double step = 1.0 / (options.alphaGrid() - 1);
        for (int epoch = 1; epoch <= options.epochs(); epoch++) {
            List<Double> alphas = new ArrayList<>();
            if (epoch == 1) {
                for (int i = 0; i < options.alphaGrid(); i++) {
                    alphas.add(i * step);
                }
            } else {
                step /= 2;
                for (int d = -2; d <= 2; d++) {
                    double a = best.alpha() + d * step;
                    if (a >= 0 && a <= 1 && d != 0) {
                        alphas.add(a);
                    }
                }
            }
            List<Boolean> shifts = ctx.group().shiftable() && options.shift() ? List.of(false, true) : List.of(false);
            for (double a : alphas) {
                for (boolean sh : shifts) {
                    State s = new State(a, sh, best.ratios());
                    double err = objective.error(candidate(ctx, s));
                    if (err < bestErr) {
                        bestErr = err;
                        best = s;
                    }
                }
            }
            State clipped = new State(best.alpha(), best.shift(), clipRatios(ctx, transform(ctx, best.alpha(), best.shift()), options));
            double err = objective.error(candidate(ctx, clipped));
            if (err < bestErr) {
                bestErr = err;
                best = clipped;
            }
        }
        EquivalentTransform t = transform(ctx, best.alpha(), best.shift());
        Map<String, QuantizedWeights> weights = new LinkedHashMap<>();
        BiFunction<LinearLayer, float[], QuantizedWeights> q = quantizer(ctx, best.ratios());
        for (LinearLayer l : ctx.group().layers()) {
            if (ctx.plan(l) != null) {
                weights.put(l.name(), q.apply(l, t.weights(ctx.weights(l), l.outFeatures(), l.inFeatures())));
            }
        }
        return new GroupDecision(t, weights, baseline, bestErr, objective.describe(),
                String.format(Locale.ROOT, "epochs=%d, alpha=%.4f, shift=%s, clipping=%s", options.epochs(), best.alpha(),
                        best.shift(), best.ratios().isEmpty() ? "none" : "per channel/group"));
    }

    private static GroupCandidate candidate(GroupContext ctx, State s) {
        return ctx.candidate(transform(ctx, s.alpha(), s.shift()), quantizer(ctx, s.ratios()));
    }

    private static BiFunction<LinearLayer, float[], QuantizedWeights> quantizer(GroupContext ctx, Map<String, float[]> ratios) {
        return (l, w) -> {
            float[] r = ratios.get(l.name());
            return r == null ? ctx.rtn(l, w)
                    : WeightRounding.withRatios(w, l.outFeatures(), l.inFeatures(), ctx.plan(l).weights(), r);
        };
    }

    /** LET of the family: s = A^α / max|W|^(1−α), A = max|X − δ| per channel. */
    static EquivalentTransform transform(GroupContext ctx, double alpha, boolean shift) {
        float[] mn = ctx.input().channelMin();
        float[] mx = ctx.input().channelMax();
        float[] delta = null;
        float[] a = new float[mn.length];
        if (shift) {
            delta = new float[mn.length];
            for (int c = 0; c < mn.length; c++) {
                delta[c] = (mx[c] + mn[c]) / 2;
                a[c] = (mx[c] - mn[c]) / 2;
            }
        } else {
            for (int c = 0; c < mn.length; c++) {
                a[c] = Math.max(Math.abs(mn[c]), Math.abs(mx[c]));
            }
        }
        return new EquivalentTransform(SmoothQuant.scales(a, ctx.weightAbsMaxPerInputChannel(), alpha), delta);
    }

    private static Map<String, float[]> clipRatios(GroupContext ctx, EquivalentTransform t, MethodOptions.OmniQuant o) {
        TensorStatistics transformed = ctx.input().transformed(t.scale(), t.shift());
        double[] h = transformed.gram();
        double[] grid = HessianClipSearch.evenGrid(o.minClip(), o.clipGrid());
        Map<String, float[]> out = new LinkedHashMap<>();
        for (LinearLayer l : ctx.group().layers()) {
            LayerPlan plan = ctx.plan(l);
            if (plan == null) {
                continue;
            }
            float[] w = t.weights(ctx.weights(l), l.outFeatures(), l.inFeatures());
            out.put(l.name(), HessianClipSearch.searchRatios(w, l.outFeatures(), l.inFeatures(), plan.weights(), h, grid, 2));
        }
        return out;
    }
}
