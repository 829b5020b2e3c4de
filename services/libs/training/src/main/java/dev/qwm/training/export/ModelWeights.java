package dev.qwm.training.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.graph.GraphIndex;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.graph.TensorData;
import dev.qwm.training.model.Normalization;
import dev.qwm.training.model.TransformerBlock;
import dev.qwm.training.model.DjlWorldModel;
import dev.qwm.training.model.WorldModelConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A world model's weights as plain float arrays, independent of DJL: what the {@link OnnxExporter} writes.
 * Comes from a trained {@link DjlWorldModel} ({@link #of}), from a bundle the {@link OnnxExporter} wrote ({@link #read},
 * to start training from a shipped model) or from a seeded random draw ({@link #random}, for DINO-WM-scale graphs
 * that are never trained here).
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
    public static ModelWeights of(DjlWorldModel m) {
        var enc = m.encoder();
        var pred = m.predictor();
        return new ModelWeights(m.config(), m.normalization(),
                new Encoder(dense(enc.patchEmbed()), enc.position().getArray().toFloatArray(),
                        blocks(enc.blocks()), norm(enc.norm())),
                dense(m.proprioEncoder().linear()),
                dense(m.actionEncoder().linear()),
                new PredictorWeights(pred.position().getArray().toFloatArray(), blocks(pred.blocks()), norm(pred.norm())));
    }

    /**
     * Reads the weights back out of a bundle written by {@link OnnxExporter} (it finds them by the initializer names
     * the exporter gives). The bundle must have {@code config}'s shape; its normalisation statistics are the
     * manifest's. A bundle from elsewhere (another exporter, a quantized one) is refused by name.
     */
    public static ModelWeights read(ModelBundle bundle, WorldModelConfig c) {
        return read(bundle, c, false);
    }

    /**
     * As {@link #read(ModelBundle, WorldModelConfig)}, but with {@code bundlePredictorDepth} the predictor is read with
     * the bundle's own number of blocks, whatever {@code c} says: for taking only the encoder, or for starting a
     * deeper predictor (see {@link #copyDynamicsInto}).
     */
    public static ModelWeights read(ModelBundle bundle, WorldModelConfig c, boolean bundlePredictorDepth) {
        if (bundlePredictorDepth) {
            GraphIndex pred = GraphIndex.of(OnnxModels.parse(bundle.componentBytes(OnnxExporter.PREDICTOR)));
            int depth = 0;
            while (pred.initializer("block" + depth + "/attn/norm1_gamma").isPresent()) {
                depth++;
            }
            if (depth >= 1 && depth != c.predictorDepth()) {
                c = new WorldModelConfig(c.imageSize(), c.patchSize(), c.latentDim(), c.encoderDepth(),
                        c.encoderHeads(), c.encoderMlpDim(), c.proprioDim(), c.proprioEmbDim(), c.actionDim(),
                        c.actionEmbDim(), depth, c.predictorHeads(), c.predictorHeadDim(), c.predictorMlpDim(),
                        c.numHist(), c.frameskip());
            }
        }
        var m = bundle.manifest();
        if (m.numPatches() != c.numPatches() || m.latentDim() != c.latentDim() || m.proprioDim() != c.proprioDim()
                || m.actionDim() != c.actionDim() || m.numHist() != c.numHist() || m.imageSize() != c.imageSize()
                || m.patchSize() != c.patchSize()) {
            throw new IllegalArgumentException(bundle.directory() + " has another shape than the model to train ("
                    + m.numPatches() + " tokens of " + m.latentDim() + ", proprio " + m.proprioDim() + ", actions "
                    + m.actionDim() + ", numHist " + m.numHist() + "; wanted " + c.numPatches() + " of " + c.latentDim()
                    + ", " + c.proprioDim() + ", " + c.actionDim() + ", " + c.numHist() + ")");
        }
        Normalization norm = new Normalization(floats(m.proprioMean()), floats(m.proprioStd()),
                floats(m.actionMean()), floats(m.actionStd()));
        Reader enc = new Reader(bundle, OnnxExporter.VISUAL_ENCODER);
        List<Block> encBlocks = new ArrayList<>();
        for (int i = 0; i < c.encoderDepth(); i++) {
            encBlocks.add(enc.block("block" + i + "/", c.latentDim(), c.encoderHeads(), c.encoderHeadDim(),
                    c.encoderMlpDim(), true));
        }
        enc.requireNoBlock(c.encoderDepth());
        Encoder encoder = new Encoder(enc.dense("patch_embed/", c.patchValues(), c.latentDim(), true),
                enc.floats("patch_embed/pos_embed", (long) c.numPatches() * c.latentDim()), encBlocks,
                enc.norm("norm/gamma", "norm/beta", c.latentDim()));
        Reader pro = new Reader(bundle, OnnxExporter.PROPRIO_ENCODER);
        Reader act = new Reader(bundle, OnnxExporter.ACTION_ENCODER);
        Reader pred = new Reader(bundle, OnnxExporter.PREDICTOR);
        int e = c.tokenDim();
        List<Block> predBlocks = new ArrayList<>();
        for (int i = 0; i < c.predictorDepth(); i++) {
            predBlocks.add(pred.block("block" + i + "/", e, c.predictorHeads(), c.predictorHeadDim(),
                    c.predictorMlpDim(), false));
        }
        pred.requireNoBlock(c.predictorDepth());
        return new ModelWeights(c, norm, encoder,
                pro.dense("embed/", c.proprioDim(), c.proprioEmbDim(), true),
                act.dense("embed/", c.actionDim(), c.actionEmbDim(), true),
                new PredictorWeights(pred.floats("tokens/pos_embed", (long) c.numHist() * c.numPatches() * e),
                        predBlocks, pred.norm("norm/gamma", "norm/beta", e)));
    }

    /** The float initializers of one exported component, by name and checked size. */
    private static final class Reader {
        private final String component;
        private final GraphIndex graph;

        Reader(ModelBundle bundle, String component) {
            this.component = component;
            this.graph = GraphIndex.of(OnnxModels.parse(bundle.componentBytes(component)));
        }

        float[] floats(String name, long size) {
            var t = graph.initializer(name).orElseThrow(() -> new IllegalArgumentException(component
                    + " has no initializer " + name + ": not a float model written by qwm's exporter"));
            if (TensorData.elementCount(t) != size) {
                throw new IllegalArgumentException(component + " initializer " + name + " has "
                        + TensorData.elementCount(t) + " values, the model to train has " + size);
            }
            return TensorData.toFloats(t);
        }

        Dense dense(String prefix, int in, int out, boolean bias) {
            return new Dense(in, out, floats(prefix + "weight", (long) in * out),
                    bias ? floats(prefix + "bias", out) : null);
        }

        Norm norm(String gamma, String beta, int dim) {
            return new Norm(floats(gamma, dim), floats(beta, dim));
        }

        Block block(String p, int dim, int heads, int headDim, int mlp, boolean qkvBias) {
            int inner = heads * headDim;
            return new Block(heads, headDim, norm(p + "attn/norm1_gamma", p + "attn/norm1_beta", dim),
                    dense(p + "attn/qkv/", dim, 3 * inner, qkvBias), dense(p + "attn/proj/", inner, dim, true),
                    norm(p + "mlp/norm2_gamma", p + "mlp/norm2_beta", dim), dense(p + "mlp/fc1/", dim, mlp, true),
                    dense(p + "mlp/fc2/", mlp, dim, true));
        }

        /** A deeper graph than the model to train would otherwise be read silently truncated. */
        void requireNoBlock(int depth) {
            if (graph.initializer("block" + depth + "/attn/norm1_gamma").isPresent()) {
                throw new IllegalArgumentException(component + " has more than " + depth + " blocks");
            }
        }
    }

    private static float[] floats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }

    /** Copies the visual encoder's weights into {@code m} (whose shape must be this one's). */
    public void copyEncoderInto(DjlWorldModel m) {
        var enc = m.encoder();
        copy(enc.patchEmbed(), encoder.patch);
        set(enc.position(), encoder.position);
        copy(enc.blocks(), encoder.blocks);
        copy(enc.norm(), encoder.norm);
    }

    /**
     * Copies the proprio and action encoders' and the predictor's weights into {@code m}. A predictor of m with
     * more blocks than these weights gets them in its first blocks, and its extra blocks (before the final
     * LayerNorm) start as the identity: their output projections (attention and MLP) are zeroed, so that each adds
     * nothing to the residual stream and m computes exactly what these weights do, while their inputs and so their
     * gradients are not zero.
     */
    public void copyDynamicsInto(DjlWorldModel m) {
        copy(m.proprioEncoder().linear(), proprio);
        copy(m.actionEncoder().linear(), action);
        var pred = m.predictor();
        set(pred.position(), predictor.position);
        List<TransformerBlock> blocks = pred.blocks();
        if (blocks.size() < predictor.blocks.size()) {
            throw new IllegalArgumentException(predictor.blocks.size() + " predictor blocks for a model of "
                    + blocks.size());
        }
        copy(blocks.subList(0, predictor.blocks.size()), predictor.blocks);
        for (TransformerBlock extra : blocks.subList(predictor.blocks.size(), blocks.size())) {
            for (Linear out : List.of(extra.proj(), extra.fc2())) {
                for (Parameter p : out.getParameters().values()) {
                    set(p, new float[(int) p.getArray().size()]);
                }
            }
        }
        copy(pred.norm(), predictor.norm);
    }

    private static final NDIndex EVERYTHING = new NDIndex("...");

    private static void copy(List<TransformerBlock> blocks, List<Block> from) {
        if (blocks.size() != from.size()) {
            throw new IllegalArgumentException(from.size() + " blocks for a model of " + blocks.size());
        }
        for (int i = 0; i < blocks.size(); i++) {
            TransformerBlock b = blocks.get(i);
            Block f = from.get(i);
            copy(b.norm1(), f.norm1);
            copy(b.qkv(), f.qkv);
            copy(b.proj(), f.proj);
            copy(b.norm2(), f.norm2);
            copy(b.fc1(), f.fc1);
            copy(b.fc2(), f.fc2);
        }
    }

    private static void copy(LayerNorm ln, Norm n) {
        set(ln.getParameters().get("gamma"), n.gamma);
        set(ln.getParameters().get("beta"), n.beta);
    }

    /** [in][out] back to DJL's [out][in]. */
    private static void copy(Linear linear, Dense d) {
        float[] t = new float[d.weight.length];
        for (int i = 0; i < d.in; i++) {
            for (int o = 0; o < d.out; o++) {
                t[o * d.in + i] = d.weight[i * d.out + o];
            }
        }
        set(linear.getParameters().get("weight"), t);
        Parameter b = linear.getParameters().get("bias");
        if ((b == null) != (d.bias == null)) {
            throw new IllegalArgumentException("a linear layer with" + (b == null ? "out" : "") + " bias gets weights with"
                    + (d.bias == null ? "out" : "") + " one");
        }
        if (b != null) {
            set(b, d.bias);
        }
    }

    /**
     * Overwrites a parameter in place (a fill, then an add of a new array): {@code set(float[])} would point the
     * tensor at a Java buffer that only the handle keeps alive (see {@code Adam.zeroGradients}).
     */
    private static void set(Parameter p, float[] values) {
        NDArray a = p.getArray();
        if (a.size() != values.length) {
            throw new IllegalArgumentException("parameter " + p.getName() + " has " + a.size() + " values, got "
                    + values.length);
        }
        try (NDArray src = a.getManager().create(values, a.getShape())) {
            a.set(EVERYTHING, 0f);
            a.addi(src);
        }
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

    /**
     * Parameter counts (as {@link #parameterCounts} orders them) by component name, in the bundle's component order:
     * what a provenance's {@code parameters} holds.
     */
    public static java.util.Map<String, Long> byComponent(long[] counts) {
        java.util.Map<String, Long> p = new java.util.LinkedHashMap<>();
        int i = 0;
        for (String component : dev.qwm.onnx.bundle.BundleManifest.REQUIRED_COMPONENTS) {
            p.put(component, counts[i++]);
        }
        return p;
    }

    /** Parameters of the visual encoder, proprio encoder, action encoder and predictor. */
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
