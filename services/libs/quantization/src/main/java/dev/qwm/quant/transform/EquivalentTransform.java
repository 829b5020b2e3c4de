package dev.qwm.quant.transform;

import dev.qwm.onnx.graph.GraphEditor;
import dev.qwm.onnx.graph.GraphIndex;
import dev.qwm.onnx.graph.LinearLayer;
import dev.qwm.onnx.graph.TensorData;

import java.util.Arrays;

/**
 * A per-channel affine change of a layer group's input, X' = (X − shift) / scale, made exact by the inverse change of
 * the layers: W' = W·diag(scale) (each input column k times scale_k) and b' = b + W·shift. Folded into the LayerNorm
 * that produces X: γ' = γ / scale, β' = (β − shift) / scale. The model computes the same function afterwards;
 * only the ranges that quantization sees change (SmoothQuant, AWQ, OmniQuant's LET).
 *
 * @param scale per input channel, > 0
 * @param shift per input channel, or null for none
 */
public record EquivalentTransform(float[] scale, float[] shift) {

    public EquivalentTransform {
        for (float s : scale) {
            if (!(s > 0) || !Float.isFinite(s)) {
                throw new IllegalArgumentException("smoothing scales must be positive and finite, got " + s);
            }
        }
        if (shift != null && shift.length != scale.length) {
            throw new IllegalArgumentException("shift and scale differ in length");
        }
    }

    public static EquivalentTransform identity(int width) {
        float[] one = new float[width];
        Arrays.fill(one, 1f);
        return new EquivalentTransform(one, null);
    }

    /** W' = W·diag(scale), W out×in. */
    public float[] weights(float[] w, int out, int in) {
        float[] t = new float[w.length];
        for (int n = 0; n < out; n++) {
            for (int k = 0; k < in; k++) {
                t[n * in + k] = w[n * in + k] * scale[k];
            }
        }
        return t;
    }

    /** b' = b + W·shift (with the original W); the bias unchanged without shift. */
    public float[] bias(float[] b, float[] w, int out, int in) {
        if (shift == null) {
            return b;
        }
        float[] nb = b == null ? new float[out] : b.clone();
        for (int n = 0; n < out; n++) {
            double acc = 0;
            for (int k = 0; k < in; k++) {
                acc += (double) w[n * in + k] * shift[k];
            }
            nb[n] += (float) acc;
        }
        return nb;
    }

    public float[] gamma(float[] g) {
        float[] t = new float[g.length];
        for (int c = 0; c < g.length; c++) {
            t[c] = g[c] / scale[c];
        }
        return t;
    }

    public float[] beta(float[] b) {
        float[] t = new float[b.length];
        for (int c = 0; c < b.length; c++) {
            t[c] = (b[c] - (shift == null ? 0 : shift[c])) / scale[c];
        }
        return t;
    }

    /** Rows of X (rows×width) → X'. */
    public float[] input(float[] x, int width) {
        float[] t = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            int c = i % width;
            t[i] = (x[i] - (shift == null ? 0 : shift[c])) / scale[c];
        }
        return t;
    }

    /** Writes the transform into the model: LN γ/β and every layer's weights and bias. */
    public void applyTo(GraphEditor editor, GraphIndex index, LayerGroup group) {
        if (shift != null && !group.allHaveBias()) {
            throw new IllegalStateException("a shift needs a bias on every layer of the group");
        }
        if (shift != null && group.norm().biasName() == null) {
            throw new IllegalStateException("a shift needs the LayerNorm's β");
        }
        float[] gamma = TensorData.toFloats(index.requireInitializer(group.norm().scaleName()));
        editor.putInitializer(TensorData.floats(group.norm().scaleName(), gamma(gamma), gamma.length));
        if (group.norm().biasName() != null) {
            float[] beta = TensorData.toFloats(index.requireInitializer(group.norm().biasName()));
            editor.putInitializer(TensorData.floats(group.norm().biasName(), beta(beta), beta.length));
        }
        for (LinearLayer l : group.layers()) {
            float[] w = l.readWeightsOutIn(index);
            editor.putInitializer(l.weightsTensor(l.weightName(), weights(w, l.outFeatures(), l.inFeatures())));
            if (shift != null) {
                float[] b = l.readBias(index).orElseThrow();
                editor.putInitializer(TensorData.floats(l.biasName(), bias(b, w, l.outFeatures(), l.inFeatures()), b.length));
            }
        }
    }
}
