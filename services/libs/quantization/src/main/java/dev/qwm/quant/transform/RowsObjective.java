package dev.qwm.quant.transform;

import dev.qwm.onnx.graph.LinearLayer;
import dev.qwm.quant.core.FakeQuantLinear;
import dev.qwm.quant.core.LinearAlgebra;
import dev.qwm.quant.recipe.ActivationSpec;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The group's layer outputs on sampled calibration rows of its input, in Java: Σ_layers ‖Q(X')·Ŵ'ᵀ + b' − (X·Wᵀ + b)‖²
 * / count. Used when no whole block can be evaluated (input not from a residual block, or not batch-major).
 */
public final class RowsObjective implements GroupObjective {

    private final GroupContext context;
    private final float[] rows;
    private final int count;
    private final Map<String, float[]> reference = new LinkedHashMap<>();
    private final long total;

    public RowsObjective(GroupContext context, int maxRows) {
        this.context = context;
        int width = context.group().width();
        int n = Math.min(maxRows, context.input().sampledRowCount());
        if (n == 0) {
            throw new IllegalArgumentException("no calibration rows for the input of LayerNorm '" + context.group().norm().name() + "'");
        }
        this.rows = Arrays.copyOf(context.input().sampledRows(), n * width);
        this.count = n;
        long t = 0;
        for (LinearLayer l : context.group().layers()) {
            float[] y = LinearAlgebra.linear(rows, n, width, context.weights(l), l.outFeatures());
            FakeQuantLinear.addBias(y, context.bias(l), l.outFeatures());
            reference.put(l.name(), y);
            t += y.length;
        }
        this.total = t;
    }

    @Override
    public double error(GroupCandidate c) {
        int width = context.group().width();
        float[] x = c.transform().input(rows, width);
        double sum = 0;
        for (LinearLayer l : context.group().layers()) {
            GroupCandidate.LayerCandidate lc = c.layers().get(l.name());
            var plan = context.plan(l);
            ActivationSpec act = plan == null ? ActivationSpec.FLOAT : plan.activations();
            float[] xq = FakeQuantLinear.quantizeInput(x, width, act, lc.staticParams());
            float[] y = LinearAlgebra.linear(xq, count, width, lc.weightsOutIn(), l.outFeatures());
            FakeQuantLinear.addBias(y, lc.bias(), l.outFeatures());
            float[] r = reference.get(l.name());
            for (int i = 0; i < y.length; i++) {
                double d = y[i] - r[i];
                sum += d * d;
            }
        }
        return sum / total;
    }

    @Override
    public String describe() {
        return "outputs of the group's layers on " + count + " sampled rows";
    }
}
