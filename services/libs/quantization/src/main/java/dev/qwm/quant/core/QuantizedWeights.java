package dev.qwm.quant.core;

import dev.qwm.quant.recipe.WeightSpec;

/**
 * Integer weights of one linear layer: signed codes in [qmin, qmax] of {@code spec.bits()} bits, out×in row-major,
 * and one positive scale per (output channel, group), {@code scales[n * groupsPerRow + g]}. Weight ≈ code × scale.
 */
public record QuantizedWeights(int out, int in, WeightSpec spec, byte[] codes, float[] scales) {

    public QuantizedWeights {
        GroupLayout layout = new GroupLayout(in, spec.groupSize());
        if (codes.length != out * in) {
            throw new IllegalArgumentException(codes.length + " codes for a " + out + "x" + in + " layer");
        }
        if (scales.length != out * layout.groupsPerRow()) {
            throw new IllegalArgumentException(scales.length + " scales, expected " + out * layout.groupsPerRow());
        }
        for (byte c : codes) {
            if (c < spec.qmin() || c > spec.qmax()) {
                throw new IllegalArgumentException("code " + c + " outside the " + spec.bits() + "-bit range");
            }
        }
    }

    public GroupLayout layout() {
        return new GroupLayout(in, spec.groupSize());
    }

    public float scale(int row, int column) {
        GroupLayout l = layout();
        return scales[row * l.groupsPerRow() + l.groupOf(column)];
    }

    /** The weights these codes stand for, out×in row-major (float32 products, as ONNX DequantizeLinear computes). */
    public float[] dequantize() {
        GroupLayout l = layout();
        int gpr = l.groupsPerRow();
        float[] w = new float[out * in];
        for (int n = 0; n < out; n++) {
            for (int g = 0; g < gpr; g++) {
                float s = scales[n * gpr + g];
                for (int k = l.start(g); k < l.end(g); k++) {
                    w[n * in + k] = codes[n * in + k] * s;
                }
            }
        }
        return w;
    }

    /** Bytes of the packed codes at {@code bits} per weight plus float32 scales: the information-theoretic size. */
    public long packedBytes() {
        return ((long) out * in * spec.bits() + 7) / 8 + 4L * scales.length;
    }
}
