package dev.qwm.quant.transform;

import dev.qwm.onnx.graph.GraphIndex;
import dev.qwm.onnx.graph.LinearLayer;
import dev.qwm.onnx.graph.TensorData;
import dev.qwm.quant.calib.TensorStatistics;
import dev.qwm.quant.core.ActivationParams;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.core.WeightRounding;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.LayerPlan;
import dev.qwm.quant.recipe.WeightSpec;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A layer group with its float parameters and calibration statistics, able to build candidates: for an input
 * transform and a weight rounding rule, each layer's quantized weights, bias and activation parameters as the final
 * model would have them. Layers of the group that the recipe leaves in float keep their (transformed) float weights.
 */
public final class GroupContext {

    private final LayerGroup group;
    private final Map<String, LayerPlan> plans;
    private final float[] gamma;
    private final float[] beta;
    private final Map<String, float[]> weights = new LinkedHashMap<>();
    private final Map<String, float[]> biases = new LinkedHashMap<>();
    private final TensorStatistics input;

    public GroupContext(GraphIndex index, LayerGroup group, Map<String, LayerPlan> plans, TensorStatistics input) {
        this.group = group;
        this.plans = plans;
        this.gamma = TensorData.toFloats(index.requireInitializer(group.norm().scaleName()));
        this.beta = group.norm().biasName() == null ? null : TensorData.toFloats(index.requireInitializer(group.norm().biasName()));
        for (LinearLayer l : group.layers()) {
            weights.put(l.name(), l.readWeightsOutIn(index));
            biases.put(l.name(), l.readBias(index).orElse(null));
        }
        this.input = input;
    }

    public LayerGroup group() {
        return group;
    }

    public TensorStatistics input() {
        return input;
    }

    public float[] weights(LinearLayer l) {
        return weights.get(l.name());
    }

    public float[] bias(LinearLayer l) {
        return biases.get(l.name());
    }

    public LayerPlan plan(LinearLayer l) {
        return plans.get(l.name());
    }

    /** max|W[:, c]| over all the group's layers, per input channel (SmoothQuant's weight scale). */
    public float[] weightAbsMaxPerInputChannel() {
        float[] m = new float[group.width()];
        for (LinearLayer l : group.layers()) {
            float[] w = weights.get(l.name());
            for (int n = 0; n < l.outFeatures(); n++) {
                for (int k = 0; k < l.inFeatures(); k++) {
                    m[k] = Math.max(m[k], Math.abs(w[n * l.inFeatures() + k]));
                }
            }
        }
        return m;
    }

    /** Static activation parameters of the transformed input X' = (X − shift)/scale, from the calibrated per-channel range. */
    public ActivationParams staticParams(EquivalentTransform t, int bits) {
        float[] mn = input.channelMin();
        float[] mx = input.channelMax();
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < mn.length; c++) {
            float d = t.shift() == null ? 0 : t.shift()[c];
            lo = Math.min(lo, (mn[c] - d) / t.scale()[c]);
            hi = Math.max(hi, (mx[c] - d) / t.scale()[c]);
        }
        return ActivationParams.fromRange(bits, lo, hi);
    }

    /**
     * The candidate for transform {@code t}, each planned layer's transformed weights rounded by {@code quantizer}
     * (layer, W' out×in) → integer weights.
     */
    public GroupCandidate candidate(EquivalentTransform t, BiFunction<LinearLayer, float[], QuantizedWeights> quantizer) {
        Map<String, GroupCandidate.LayerCandidate> layers = new LinkedHashMap<>();
        for (LinearLayer l : group.layers()) {
            float[] w = weights.get(l.name());
            float[] wt = t.weights(w, l.outFeatures(), l.inFeatures());
            float[] b = t.bias(biases.get(l.name()), w, l.outFeatures(), l.inFeatures());
            LayerPlan plan = plans.get(l.name());
            if (plan == null) {
                layers.put(l.name(), new GroupCandidate.LayerCandidate(wt, b, null));
                continue;
            }
            QuantizedWeights q = quantizer.apply(l, wt);
            ActivationSpec act = plan.activations();
            ActivationParams p = !act.isFloat() && act.granularity() == ActivationSpec.Granularity.TENSOR
                    ? staticParams(t, act.bits()) : null;
            layers.put(l.name(), new GroupCandidate.LayerCandidate(q.dequantize(), b, p));
        }
        return new GroupCandidate(t, t.gamma(gamma), beta == null ? null : t.beta(beta), layers);
    }

    /** Min-max rounding of a layer's weights at its plan's format. */
    public QuantizedWeights rtn(LinearLayer l, float[] w) {
        WeightSpec spec = plans.get(l.name()).weights();
        return WeightRounding.withScales(w, l.outFeatures(), l.inFeatures(), spec,
                dev.qwm.quant.weights.RtnQuantizer.minMaxScales(w, l.outFeatures(), l.inFeatures(), spec));
    }

    public Map<String, ActivationSpec> activationSpecs() {
        Map<String, ActivationSpec> m = new LinkedHashMap<>();
        for (LinearLayer l : group.layers()) {
            LayerPlan p = plans.get(l.name());
            m.put(l.name(), p == null ? ActivationSpec.FLOAT : p.activations());
        }
        return m;
    }
}
