package dev.qwm.env.render;

/**
 * Bilinear resampling of square RGB frames with torchvision's {@code Resize} semantics (half-pixel centres,
 * {@code align_corners=False}, antialiased triangle filter when shrinking). DINO-WM resizes its Wall frames
 * this way (65 → 224); upsampling is then plain bilinear interpolation.
 */
public final class Resample {

    private Resample() {
    }

    /**
     * Resizes a row-major {@code [src][src][3]} frame to {@code [dst][dst][3]} as OpenCV 4.6's {@code cv2.resize}
     * does with its default {@code INTER_LINEAR} on uint8 images (DINO-WM shrinks its 512-px PushT window so):
     * half-pixel centres, two taps, no antialiasing when shrinking, 11-bit fixed-point weights, and the vertical pass
     * of its SIMD kernel ({@code VResizeLinearVec_32s8u}: each row sum shifted right by 4, multiplied by the weight
     * keeping the high 16 bits, the two added and rounded by 2 bits). Bit for bit equal to Debian's python3-opencv
     * 4.6 on x86-64 (tools/dinowm-render-compare).
     */
    public static byte[] cv2Linear(byte[] rgb, int src, int dst) {
        checkFrame(rgb, src, dst);
        if (dst == src) {
            return rgb.clone();
        }
        int[] first = new int[dst];
        int[] w0 = new int[dst];
        int[] w1 = new int[dst];
        double scale = 1.0 / ((double) dst / src);
        for (int d = 0; d < dst; d++) {
            float f = (float) ((d + 0.5) * scale - 0.5);
            int s = (int) Math.floor(f);
            f -= s;
            if (s < 0) {
                f = 0;
                s = 0;
            }
            if (s >= src - 1) {
                f = 0;
                s = src - 1;
            }
            first[d] = s;
            w0[d] = (int) Math.rint((1f - f) * 2048f);
            w1[d] = (int) Math.rint(f * 2048f);
        }
        // horizontal pass: [src rows][dst cols][3] of weighted sums (at most 255 * 2048)
        int[] tmp = new int[src * dst * 3];
        for (int r = 0; r < src; r++) {
            for (int c = 0; c < dst; c++) {
                int a = (r * src + first[c]) * 3;
                int b = (r * src + Math.min(first[c] + 1, src - 1)) * 3;
                int o = (r * dst + c) * 3;
                for (int ch = 0; ch < 3; ch++) {
                    tmp[o + ch] = (rgb[a + ch] & 0xFF) * w0[c] + (rgb[b + ch] & 0xFF) * w1[c];
                }
            }
        }
        byte[] out = new byte[dst * dst * 3];
        for (int r = 0; r < dst; r++) {
            int a = first[r] * dst * 3;
            int b = Math.min(first[r] + 1, src - 1) * dst * 3;
            for (int i = 0; i < dst * 3; i++) {
                int v = ((((tmp[a + i] >> 4) * w0[r]) >> 16) + (((tmp[b + i] >> 4) * w1[r]) >> 16) + 2) >> 2;
                out[r * dst * 3 + i] = (byte) Math.max(0, Math.min(255, v));
            }
        }
        return out;
    }

    /** Resizes a row-major {@code [src][src][3]} frame to {@code [dst][dst][3]}, rounding to uint8. */
    public static byte[] bilinear(byte[] rgb, int src, int dst) {
        checkFrame(rgb, src, dst);
        if (dst == src) {
            return rgb.clone();
        }
        Filter f = FILTERS.computeIfAbsent(((long) src << 32) | dst, k -> Filter.of(src, dst));
        // horizontal pass: [src rows][dst cols][3]
        double[] tmp = new double[src * dst * 3];
        for (int r = 0; r < src; r++) {
            for (int c = 0; c < dst; c++) {
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                for (int k = 0; k < f.count[c]; k++) {
                    int idx = (r * src + f.first[c] + k) * 3;
                    double w = f.weights[c][k];
                    s0 += w * (rgb[idx] & 0xFF);
                    s1 += w * (rgb[idx + 1] & 0xFF);
                    s2 += w * (rgb[idx + 2] & 0xFF);
                }
                int o = (r * dst + c) * 3;
                tmp[o] = s0;
                tmp[o + 1] = s1;
                tmp[o + 2] = s2;
            }
        }
        // vertical pass
        byte[] out = new byte[dst * dst * 3];
        for (int r = 0; r < dst; r++) {
            for (int c = 0; c < dst; c++) {
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                for (int k = 0; k < f.count[r]; k++) {
                    int idx = ((f.first[r] + k) * dst + c) * 3;
                    double w = f.weights[r][k];
                    s0 += w * tmp[idx];
                    s1 += w * tmp[idx + 1];
                    s2 += w * tmp[idx + 2];
                }
                int o = (r * dst + c) * 3;
                out[o] = toByte(s0);
                out[o + 1] = toByte(s1);
                out[o + 2] = toByte(s2);
            }
        }
        return out;
    }

    /** A row-major {@code [src][src][3]} frame and a positive target size, or a clear error. */
    private static void checkFrame(byte[] rgb, int src, int dst) {
        if (rgb.length != src * src * 3) {
            throw new IllegalArgumentException("frame has " + rgb.length + " bytes, expected " + src + "x" + src + "x3");
        }
        if (dst < 1) {
            throw new IllegalArgumentException("target size must be positive, got " + dst);
        }
    }

    private static final java.util.concurrent.ConcurrentHashMap<Long, Filter> FILTERS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static byte toByte(double v) {
        long r = Math.round(v);
        return (byte) Math.max(0, Math.min(255, r));
    }

    /** Per-output-index source taps and normalised triangle weights (the same for rows and columns). */
    private static final class Filter {
        final int[] first;
        final int[] count;
        final double[][] weights;

        private Filter(int n) {
            first = new int[n];
            count = new int[n];
            weights = new double[n][];
        }

        static Filter of(int src, int dst) {
            double scale = (double) src / dst;
            double support = scale > 1 ? scale : 1.0; // triangle radius in source pixels
            double invSupport = scale > 1 ? 1.0 / scale : 1.0;
            Filter f = new Filter(dst);
            for (int i = 0; i < dst; i++) {
                double centre = (i + 0.5) * scale;
                int lo = (int) Math.max(0, Math.floor(centre - support + 0.5));
                int hi = (int) Math.min(src, Math.floor(centre + support + 0.5));
                double[] w = new double[Math.max(0, hi - lo)];
                double total = 0;
                for (int j = lo; j < hi; j++) {
                    double d = (j + 0.5 - centre) * invSupport;
                    double t = Math.max(0, 1 - Math.abs(d));
                    w[j - lo] = t;
                    total += t;
                }
                for (int k = 0; k < w.length; k++) {
                    w[k] = total > 0 ? w[k] / total : 0;
                }
                f.first[i] = lo;
                f.count[i] = w.length;
                f.weights[i] = w;
            }
            return f;
        }
    }
}
