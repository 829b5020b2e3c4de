package dev.qwm.training.export;

import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import dev.qwm.training.model.Normalization;
import dev.qwm.training.model.TransformerBlock;
import dev.qwm.training.model.WorldModel;
import dev.qwm.training.model.WorldModelConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A world model's weights as plain float arrays, independent of DJL: what the {@link OnnxExporter} writes.
 * Comes from a trained {@link WorldModel} ({@link #of}) or from a seeded random draw ({@link #random}, for
 * DINO-WM-scale graphs that are never trained here).
 */
public record ModelWeights(
        WorldModelConfig config,
        Normalization normalization,
        Encoder encoder,
        Dense proprio,
        Dense action,
        PredictorWeights predictor) {

    /** A linear map {@code y = x W + b} with W stored [in][out] row-major (ONNX MatMul layout); bias may be null. */
    public record Dense(int in, int out, float[] weight, float[] bias) {
        public Dense {
            if (weight.length != (long) in * out) {
                throw new IllegalArgumentException("weight has " + weight.length + " values, expected " + in + "x" + out);
            }
            if (bias != null && bias.length != out) {
                throw new IllegalArgumentException("bias has " + bias.length + " values, expected " + out);
            }
        }
    }

    public record Norm(float[] gamma, float[] beta) {
    }

    public record Block(int heads, int headDim, Norm norm1, Dense qkv, Dense proj, Norm norm2, Dense fc1, Dense fc2) {
    }

    public record Encoder(Dense patch, float[] position, List<Block> blocks, Norm norm) {
    }

    public record PredictorWeights(float[] position, List<Block> blocks, Norm norm) {
    }

    /** Copies the weights out of a DJL model. */
    public static ModelWeights of(WorldModel m) {
        var enc = m.encoder();
        var pred = m.predictor();
        return new ModelWeights(m.config(), m.normalization(),
                new Encoder(dense(enc.patchEmbed()), enc.position().getArray().toFloatArray(),
                        blocks(enc.blocks()), norm(enc.norm())),
                dense(m.proprioEncoder().linear()),
                dense(m.actionEncoder().linear()),
                new PredictorWeights(pred.position().getArray().toFloatArray(), blocks(pred.blocks()), norm(pred.norm())));
    }

    private static List<Block> blocks(List<TransformerBlock> blocks) {
        List<Block> out = new ArrayList<>();
        for (TransformerBlock b : blocks) {
            out.add(new Block(b.heads(), b.headDim(), norm(b.norm1()), dense(b.qkv()), dense(b.proj()),
                    norm(b.norm2()), dense(b.fc1()), dense(b.fc2())));
        }
        return out;
    }

    private static Norm norm(LayerNorm ln) {
        return new Norm(ln.getParameters().get("gamma").getArray().toFloatArray(),
                ln.getParameters().get("beta").getArray().toFloatArray());
    }

    /** DJL (PyTorch) Linear stores weight [out][in]; transpose to [in][out]. */
    private static Dense dense(Linear linear) {
        var w = linear.getParameters().get("weight").getArray();
        int out = (int) w.getShape().get(0);
        int in = (int) w.getShape().get(1);
        float[] src = w.toFloatArray();
        float[] t = new float[src.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                t[i * out + o] = src[o * in + i];
            }
        }
        var b = linear.getParameters().get("bias");
        float[] bias = b == null ? null : b.getArray().toFloatArray();
        return new Dense(in, out, t, bias);
    }

    /**
     * Seeded random weights of the right shapes: Gaussian linear weights with std 1/sqrt(in) (so activations keep
     * their scale through depth), position embeddings with std 0.02, LayerNorm gamma 1 and beta 0.
     */
    public static ModelWeights random(WorldModelConfig c, Normalization normalization, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int d = c.latentDim();
        int e = c.tokenDim();
        List<Block> encBlocks = new ArrayList<>();
        for (int i = 0; i < c.encoderDepth(); i++) {
            encBlocks.add(randomBlock(rnd, d, c.encoderHeads(), c.encoderHeadDim(), c.encoderMlpDim(), true));
        }
        List<Block> predBlocks = new ArrayList<>();
        for (int i = 0; i < c.predictorDepth(); i++) {
            predBlocks.add(randomBlock(rnd, e, c.predictorHeads(), c.predictorHeadDim(), c.predictorMlpDim(), false));
        }
        return new ModelWeights(c, normalization,
                new Encoder(randomDense(rnd, c.patchValues(), d, true), gaussian(rnd, c.numPatches() * d, 0.02),
                        encBlocks, unitNorm(d)),
                randomDense(rnd, c.proprioDim(), c.proprioEmbDim(), true),
                randomDense(rnd, c.actionDim(), c.actionEmbDim(), true),
                new PredictorWeights(gaussian(rnd, c.numHist() * c.numPatches() * e, 0.02), predBlocks, unitNorm(e)));
    }

    private static Block randomBlock(SplittableRandom rnd, int dim, int heads, int headDim, int mlp, boolean qkvBias) {
        int inner = heads * headDim;
        return new Block(heads, headDim, unitNorm(dim), randomDense(rnd, dim, 3 * inner, qkvBias),
                randomDense(rnd, inner, dim, true), unitNorm(dim), randomDense(rnd, dim, mlp, true),
                randomDense(rnd, mlp, dim, true));
    }

    private static Dense randomDense(SplittableRandom rnd, int in, int out, boolean bias) {
        return new Dense(in, out, gaussian(rnd, in * out, 1.0 / Math.sqrt(in)), bias ? gaussian(rnd, out, 0.02) : null);
    }

    private static float[] gaussian(SplittableRandom rnd, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller on SplittableRandom: reproducible across JVMs, unlike Math.random.
            double u1 = 1.0 - rnd.nextDouble();
            double u2 = rnd.nextDouble();
            a[i] = (float) (std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return a;
    }

    private static Norm unitNorm(int dim) {
        float[] g = new float[dim];
        java.util.Arrays.fill(g, 1f);
        return new Norm(g, new float[dim]);
    }

    /** Total parameter count per component: visual encoder, proprio encoder, action encoder, predictor. */
    public long[] parameterCounts() {
        long enc = count(encoder.patch) + encoder.position.length + count(encoder.blocks) + 2L * encoder.norm.gamma.length;
        long pred = predictor.position.length + count(predictor.blocks) + 2L * predictor.norm.gamma.length;
        return new long[] {enc, count(proprio), count(action), pred};
    }

    private static long count(Dense d) {
        return d.weight.length + (d.bias == null ? 0 : d.bias.length);
    }

    private static long count(List<Block> blocks) {
        long n = 0;
        for (Block b : blocks) {
            n += count(b.qkv) + count(b.proj) + count(b.fc1) + count(b.fc2)
                    + 2L * b.norm1.gamma.length + 2L * b.norm2.gamma.length;
        }
        return n;
    }
}
