package dev.qwm.quant.testing;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.qwm.onnx.build.OnnxGraphBuilder;

import java.util.Random;

/** Small generated graphs for the quantizer's tests. */
public final class TestModels {

    private TestModels() {
    }

    public static float[] gaussian(int n, Random r, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * std);
        }
        return a;
    }

    /** W [in, out] (ONNX MatMul layout) from an out×in matrix. */
    public static float[] inOut(float[] outIn, int out, int in) {
        float[] t = new float[outIn.length];
        for (int n = 0; n < out; n++) {
            for (int k = 0; k < in; k++) {
                t[k * out + n] = outIn[n * in + k];
            }
        }
        return t;
    }

    /**
     * X [B, T, in] → one linear layer → Y [B, T, out]: MatMul (+ Add bias) or Gemm (on a 2-D input [B, in], with
     * transB = 1 and bias C).
     */
    public static ModelProto linear(float[] wOutIn, float[] bias, int in, int out, boolean gemm, int opset) {
        OnnxGraphBuilder g = new OnnxGraphBuilder("linear").opset(opset, opset >= 21 ? 10 : 8);
        if (gemm) {
            String x = g.input("X", DataType.FLOAT, "B", in);
            String w = g.floatTensor("layer/weight", wOutIn, out, in);
            String b = g.floatTensor("layer/bias", bias == null ? new float[out] : bias, out);
            String y;
            try (var s = g.scope("layer")) {
                y = g.named("Y").gemm(x, w, b, true);
            }
            g.output(y, DataType.FLOAT, "B", out);
        } else {
            String x = g.input("X", DataType.FLOAT, "B", "T", in);
            String w = g.floatTensor("layer/weight", inOut(wOutIn, out, in), in, out);
            String y;
            try (var s = g.scope("layer")) {
                if (bias == null) {
                    y = g.named("Y").matMul(x, w);
                } else {
                    String m = g.matMul(x, w);
                    y = g.named("Y").add(m, g.floatTensor("bias", bias, out));
                }
            }
            g.output(y, DataType.FLOAT, "B", "T", out);
        }
        return g.build();
    }

    /** Parameters of a pre-LN MLP block Y = X + fc2(gelu(fc1(LN(X)))). */
    public record MlpBlock(int width, int hidden, float[] gamma, float[] beta, float[] w1, float[] b1, float[] w2,
                           float[] b2) {
    }

    /**
     * An MLP block whose LayerNorm γ has a few outlier channels (×{@code outlierGain}), which is what makes activation
     * quantization of transformers hard: the LN output, input of fc1, has channels far larger than the rest.
     */
    public static MlpBlock mlpBlock(int width, int hidden, float outlierGain, long seed) {
        Random r = new Random(seed);
        float[] gamma = new float[width];
        float[] beta = new float[width];
        for (int c = 0; c < width; c++) {
            gamma[c] = (float) (1 + 0.1 * r.nextGaussian()) * (c % 37 == 5 ? outlierGain : 1f);
            beta[c] = (float) (0.05 * r.nextGaussian()) * (c % 37 == 5 ? outlierGain : 1f);
        }
        float[] w1 = gaussian(hidden * width, r, 1 / Math.sqrt(width));
        float[] b1 = gaussian(hidden, r, 0.02);
        float[] w2 = gaussian(width * hidden, r, 1 / Math.sqrt(hidden));
        float[] b2 = gaussian(width, r, 0.02);
        return new MlpBlock(width, hidden, gamma, beta, w1, b1, w2, b2);
    }

    /** {@code blocks} MLP blocks in a row on X [B, T, width] (opset 21: Gelu op). */
    public static ModelProto mlpModel(MlpBlock... blocks) {
        OnnxGraphBuilder g = new OnnxGraphBuilder("mlp");
        int width = blocks[0].width();
        String x = g.input("X", DataType.FLOAT, "B", "T", width);
        for (int i = 0; i < blocks.length; i++) {
            MlpBlock b = blocks[i];
            try (var s = g.scope("block" + i)) {
                String ln = g.layerNorm(x, g.floatTensor("ln/gamma", b.gamma(), width), g.floatTensor("ln/beta", b.beta(), width), 1e-5f);
                String h;
                try (var s1 = g.scope("fc1")) {
                    h = g.add(g.matMul(ln, g.floatTensor("weight", inOut(b.w1(), b.hidden(), width), width, b.hidden())),
                            g.floatTensor("bias", b.b1(), b.hidden()));
                }
                String a = g.gelu(h);
                String o;
                try (var s2 = g.scope("fc2")) {
                    o = g.add(g.matMul(a, g.floatTensor("weight", inOut(b.w2(), width, b.hidden()), b.hidden(), width)),
                            g.floatTensor("bias", b.b2(), width));
                }
                if (i == blocks.length - 1) {
                    g.named("Y");
                }
                x = g.add(x, o);
            }
        }
        g.output(x, DataType.FLOAT, "B", "T", width);
        return g.build();
    }

    /**
     * A pre-LN transformer block: x + out(attention(LN1(x))) then + fc2(gelu(fc1(LN2(x)))), with {@code heads}
     * heads, a bias-free fused qkv projection (as DINO-WM's predictor) and outlier channels in both LayerNorms' γ.
     */
    public static ModelProto transformerBlock(int width, int heads, int hidden, float outlierGain, long seed) {
        Random r = new Random(seed);
        int d = width / heads;
        OnnxGraphBuilder g = new OnnxGraphBuilder("transformer");
        String x = g.input("X", DataType.FLOAT, "B", "T", width);
        float[] g1 = new float[width];
        float[] b1 = new float[width];
        for (int c = 0; c < width; c++) {
            g1[c] = (float) (1 + 0.1 * r.nextGaussian()) * (c % 29 == 3 ? outlierGain : 1f);
            b1[c] = (float) (0.05 * r.nextGaussian());
        }
        String attnOut;
        try (var s = g.scope("attn")) {
            String ln = g.layerNorm(x, g.floatTensor("ln/gamma", g1, width), g.floatTensor("ln/beta", b1, width), 1e-5f);
            String qkv;
            try (var s1 = g.scope("qkv")) {
                qkv = g.matMul(ln, g.floatTensor("weight", gaussian(width * 3 * width, r, 1 / Math.sqrt(width)), width, 3L * width));
            }
            String[] parts = g.split(qkv, 2, 3);
            String q = g.transpose(g.reshape(parts[0], 0, 0, heads, d), 0, 2, 1, 3);
            String kT = g.transpose(g.reshape(parts[1], 0, 0, heads, d), 0, 2, 3, 1);
            String v = g.transpose(g.reshape(parts[2], 0, 0, heads, d), 0, 2, 1, 3);
            String scores = g.mul(g.matMul(q, kT), g.scalar("inv_sqrt_d", (float) (1 / Math.sqrt(d))));
            String att = g.matMul(g.softmax(scores, -1), v);
            String merged = g.reshape(g.transpose(att, 0, 2, 1, 3), 0, 0, width);
            try (var s2 = g.scope("out")) {
                attnOut = g.add(g.matMul(merged, g.floatTensor("weight", gaussian(width * width, r, 1 / Math.sqrt(width)), width, width)),
                        g.floatTensor("bias", gaussian(width, r, 0.02), width));
            }
        }
        String x1 = g.add(x, attnOut);
        MlpBlock mlp = mlpBlock(width, hidden, outlierGain, seed + 1);
        try (var s = g.scope("mlp")) {
            String ln = g.layerNorm(x1, g.floatTensor("ln/gamma", mlp.gamma(), width), g.floatTensor("ln/beta", mlp.beta(), width), 1e-5f);
            String h;
            try (var s1 = g.scope("fc1")) {
                h = g.add(g.matMul(ln, g.floatTensor("weight", inOut(mlp.w1(), hidden, width), width, hidden)), g.floatTensor("bias", mlp.b1(), hidden));
            }
            String o;
            try (var s2 = g.scope("fc2")) {
                o = g.add(g.matMul(g.gelu(h), g.floatTensor("weight", inOut(mlp.w2(), width, hidden), hidden, width)), g.floatTensor("bias", mlp.b2(), width));
            }
            String y = g.named("Y").add(x1, o);
            g.output(y, DataType.FLOAT, "B", "T", width);
        }
        return g.build();
    }

    /** Residual-stream-like inputs: Gaussian with a per-channel offset and scale. */
    public static float[] inputs(int rows, int width, long seed) {
        Random r = new Random(seed);
        float[] off = gaussian(width, r, 0.5);
        float[] x = new float[rows * width];
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < width; c++) {
                x[i * width + c] = off[c] + (float) r.nextGaussian() * (1 + (c % 5));
            }
        }
        return x;
    }
}
