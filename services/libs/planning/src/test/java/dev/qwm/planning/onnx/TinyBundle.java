package dev.qwm.planning.onnx;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.qwm.onnx.build.OnnxGraphBuilder;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A tiny world model with the bundle's I/O contract, built in the test with the OnnxMl-based graph builder, and
 * the same arithmetic in plain Java so the ORT backend's rollout can be checked against an independent reference.
 *
 * <ul>
 *   <li>visual: patches of the [0,1]-scaled image times W_v, then tanh: [B,N,D];</li>
 *   <li>proprio: ((p - mean) / std) W_p + b_p; actions: a W_a + b_a;</li>
 *   <li>predictor: frame-causal running mean over frames, then z W_z + b_z and tanh, on every token.</li>
 * </ul>
 */
final class TinyBundle {

    static final int IMAGE = 16;
    static final int PATCH = 8;
    static final int GRID = IMAGE / PATCH;
    static final int N = GRID * GRID;
    static final int D = 6;
    static final int P = 2;
    static final int PE = 10;
    static final int A = 10;
    static final int AE = 10;
    static final int E = D + PE + AE;
    static final int PATCH_VALUES = PATCH * PATCH * 3;
    static final double[] PROPRIO_MEAN = {32, 32};
    static final double[] PROPRIO_STD = {12, 12};

    final int numHist;
    final float[] wv;
    final float[] wp;
    final float[] bp;
    final float[] wa;
    final float[] ba;
    final float[] wz;
    final float[] bz;

    TinyBundle(int numHist, long seed) {
        this.numHist = numHist;
        SplittableRandom r = new SplittableRandom(seed);
        wv = random(r, PATCH_VALUES * D, 0.15);
        wp = random(r, P * PE, 0.5);
        bp = random(r, PE, 0.1);
        wa = random(r, A * AE, 0.3);
        ba = random(r, AE, 0.1);
        wz = random(r, E * E, 0.25);
        bz = random(r, E, 0.1);
    }

    ModelBundle write(Path dir) {
        double[] actionMean = new double[A];
        double[] actionStd = new double[A];
        for (int i = 0; i < A; i++) {
            actionMean[i] = 0.001 * i;
            actionStd[i] = 0.45;
        }
        BundleManifest m = BundleManifest.builder().name("tiny-wall-h" + numHist).environment("wall")
                .imageSize(IMAGE).patchSize(PATCH).numPatches(N).latentDim(D).proprioDim(P).proprioEmbDim(PE)
                .actionDim(A).actionEmbDim(AE).numHist(numHist).frameskip(5)
                .actionNormalisation(actionMean, actionStd).proprioNormalisation(PROPRIO_MEAN, PROPRIO_STD).build();
        return ModelBundle.writer(m)
                .component(BundleManifest.VISUAL_ENCODER, visualEncoder())
                .component(BundleManifest.PROPRIO_ENCODER, proprioEncoder())
                .component(BundleManifest.ACTION_ENCODER, actionEncoder())
                .component(BundleManifest.PREDICTOR, predictor())
                .write(dir);
    }

    byte[] visualEncoder() {
        OnnxGraphBuilder g = new OnnxGraphBuilder("visual_encoder");
        String x = g.cast(g.input("images", DataType.UINT8, "B", IMAGE, IMAGE, 3), DataType.FLOAT);
        x = g.div(x, g.scalar("max", 255f));
        x = g.reshape(x, -1, GRID, PATCH, GRID, PATCH, 3);
        x = g.transpose(x, 0, 1, 3, 2, 4, 5);
        x = g.reshape(x, -1, N, PATCH_VALUES);
        x = g.matMul(x, g.floatTensor("wv", wv, PATCH_VALUES, D));
        x = g.named("latents").node("Tanh", List.of(x), Map.of());
        g.output(x, DataType.FLOAT, "B", N, D);
        return g.toBytes();
    }

    byte[] proprioEncoder() {
        float[] mean = {(float) PROPRIO_MEAN[0], (float) PROPRIO_MEAN[1]};
        float[] std = {(float) PROPRIO_STD[0], (float) PROPRIO_STD[1]};
        OnnxGraphBuilder g = new OnnxGraphBuilder("proprio_encoder");
        String x = g.input("proprio", DataType.FLOAT, "B", "T", P);
        x = g.div(g.sub(x, g.floatTensor("mean", mean, P)), g.floatTensor("std", std, P));
        x = g.matMul(x, g.floatTensor("wp", wp, P, PE));
        x = g.named("proprio_emb").add(x, g.floatTensor("bp", bp, PE));
        g.output(x, DataType.FLOAT, "B", "T", PE);
        return g.toBytes();
    }

    byte[] actionEncoder() {
        OnnxGraphBuilder g = new OnnxGraphBuilder("action_encoder");
        String x = g.input("actions", DataType.FLOAT, "B", "T", A);
        x = g.matMul(x, g.floatTensor("wa", wa, A, AE));
        x = g.named("action_emb").add(x, g.floatTensor("ba", ba, AE));
        g.output(x, DataType.FLOAT, "B", "T", AE);
        return g.toBytes();
    }

    byte[] predictor() {
        OnnxGraphBuilder g = new OnnxGraphBuilder("predictor");
        String z = g.input("z", DataType.FLOAT, "B", "T", N, E);
        String axis = g.longTensor("axis", new long[] {1});
        String sum = g.node("CumSum", List.of(z, axis), Map.of());
        String ones = g.add(g.mul(z, g.scalar("zero", 0f)), g.scalar("one", 1f));
        String count = g.node("CumSum", List.of(ones, axis), Map.of());
        String x = g.div(sum, count);
        x = g.add(g.matMul(x, g.floatTensor("wz", wz, E, E)), g.floatTensor("bz", bz, E));
        x = g.named("z_pred").node("Tanh", List.of(x), Map.of());
        g.output(x, DataType.FLOAT, "B", "T", N, E);
        return g.toBytes();
    }

    // ------------------------------------------------------------------ the same model in plain Java

    double[] encodeVisual(byte[] rgb) {
        double[] out = new double[N * D];
        for (int gy = 0; gy < GRID; gy++) {
            for (int gx = 0; gx < GRID; gx++) {
                int n = gy * GRID + gx;
                for (int d = 0; d < D; d++) {
                    double s = 0;
                    int k = 0;
                    for (int py = 0; py < PATCH; py++) {
                        for (int px = 0; px < PATCH; px++) {
                            for (int c = 0; c < 3; c++) {
                                int pixel = ((gy * PATCH + py) * IMAGE + gx * PATCH + px) * 3 + c;
                                s += (rgb[pixel] & 0xff) / 255.0 * wv[k * D + d];
                                k++;
                            }
                        }
                    }
                    out[n * D + d] = Math.tanh(s);
                }
            }
        }
        return out;
    }

    double[] encodeProprio(double[] p) {
        double[] out = new double[PE];
        for (int j = 0; j < PE; j++) {
            double s = bp[j];
            for (int i = 0; i < P; i++) {
                s += (p[i] - PROPRIO_MEAN[i]) / PROPRIO_STD[i] * wp[i * PE + j];
            }
            out[j] = s;
        }
        return out;
    }

    double[] encodeAction(float[] a, int off) {
        double[] out = new double[AE];
        for (int j = 0; j < AE; j++) {
            double s = ba[j];
            for (int i = 0; i < A; i++) {
                s += a[off + i] * wa[i * AE + j];
            }
            out[j] = s;
        }
        return out;
    }

    /** DINO-WM's rollout, written the plain way: a growing list of frames [N][E]. */
    double[][] rolloutLastFrame(double[] visual, double[] proprioEmb, float[] actions, int horizon) {
        java.util.List<double[][]> z = new java.util.ArrayList<>();
        z.add(frame(visual, proprioEmb, encodeAction(actions, 0)));
        for (int t = 1; t <= horizon; t++) {
            java.util.List<double[][]> window = z.subList(Math.max(0, z.size() - numHist), z.size());
            double[][] next = predictLast(window);
            if (t < horizon) {
                double[] emb = encodeAction(actions, t * A);
                for (double[] token : next) {
                    System.arraycopy(emb, 0, token, D + PE, AE);
                }
            }
            z.add(next);
        }
        return z.get(z.size() - 1);
    }

    private double[][] predictLast(java.util.List<double[][]> window) {
        double[][] out = new double[N][E];
        for (int n = 0; n < N; n++) {
            double[] mean = new double[E];
            for (double[][] f : window) {
                for (int e = 0; e < E; e++) {
                    mean[e] += f[n][e] / window.size();
                }
            }
            for (int j = 0; j < E; j++) {
                double s = bz[j];
                for (int e = 0; e < E; e++) {
                    s += mean[e] * wz[e * E + j];
                }
                out[n][j] = Math.tanh(s);
            }
        }
        return out;
    }

    private static double[][] frame(double[] visual, double[] proprioEmb, double[] actionEmb) {
        double[][] f = new double[N][E];
        for (int n = 0; n < N; n++) {
            System.arraycopy(visual, n * D, f[n], 0, D);
            System.arraycopy(proprioEmb, 0, f[n], D, PE);
            System.arraycopy(actionEmb, 0, f[n], D + PE, AE);
        }
        return f;
    }

    private static float[] random(SplittableRandom r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (scale * r.nextGaussian());
        }
        return v;
    }
}
