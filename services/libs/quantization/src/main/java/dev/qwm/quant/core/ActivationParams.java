package dev.qwm.quant.core;

/**
 * Asymmetric unsigned activation quantization with one (scale, zero point): code = clamp(rint(x / scale) + zp,
 * 0, 2^bits − 1), x ≈ (code − zp) · scale. The range always includes 0, so that 0 (padding, ReLU/GELU zeros) is exact
 * and the zero point is a valid code, as ONNX QuantizeLinear requires. Arithmetic is float32, as in the graph.
 */
public record ActivationParams(int bits, float scale, int zeroPoint) {

    /** QuantWM clamps per-token scales to at least 1e-5 (layers.py); the same floor keeps all-zero rows finite. */
    public static final float MIN_SCALE = 1e-5f;

    public static ActivationParams fromRange(int bits, float min, float max) {
        if (!Float.isFinite(min) || !Float.isFinite(max) || min > max) {
            throw new IllegalArgumentException("activation range [" + min + ", " + max + "] is not a valid range");
        }
        float lo = Math.min(min, 0f);
        float hi = Math.max(max, 0f);
        int qmax = (1 << bits) - 1;
        float scale = Math.max((hi - lo) / qmax, MIN_SCALE);
        int zp = (int) Math.max(0, Math.min(qmax, Math.rint(-lo / scale)));
        return new ActivationParams(bits, scale, zp);
    }

    public int qmax() {
        return (1 << bits) - 1;
    }

    public int code(float x) {
        float q = (float) Math.rint(x / scale) + zeroPoint;
        return (int) Math.max(0, Math.min(qmax(), q));
    }

    public float fakeQuant(float x) {
        return (code(x) - zeroPoint) * scale;
    }

    /** Fake-quantizes {@code x} in place. */
    public void fakeQuant(float[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = fakeQuant(x[i]);
        }
    }

    /**
     * Per-token dynamic fake quantization in place: each row of {@code width} values gets its own parameters from
     * its own min/max (QuantWM's token_wise), as the graph computes them at run time.
     */
    public static void fakeQuantPerToken(float[] x, int width, int bits) {
        for (int r = 0; r < x.length / width; r++) {
            int base = r * width;
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < width; k++) {
                min = Math.min(min, x[base + k]);
                max = Math.max(max, x[base + k]);
            }
            ActivationParams p = fromRange(bits, min, max);
            for (int k = 0; k < width; k++) {
                x[base + k] = p.fakeQuant(x[base + k]);
            }
        }
    }

    /**
     * Symmetric int8 per row and block of {@code block} values, in place: what MatMulNBits' accuracy_level 4 does to
     * its input (scale = max|x| / 127 over the block, code = rint(x / scale)).
     */
    public static void fakeQuantPerBlockSymmetric(float[] x, int width, int block) {
        for (int r = 0; r < x.length / width; r++) {
            for (int b0 = 0; b0 < width; b0 += block) {
                int base = r * width + b0;
                int n = Math.min(block, width - b0);
                float amax = 0f;
                for (int k = 0; k < n; k++) {
                    amax = Math.max(amax, Math.abs(x[base + k]));
                }
                float scale = amax / 127f;
                for (int k = 0; k < n; k++) {
                    x[base + k] = scale == 0f ? 0f : (float) Math.rint(x[base + k] / scale) * scale;
                }
            }
        }
    }
}
