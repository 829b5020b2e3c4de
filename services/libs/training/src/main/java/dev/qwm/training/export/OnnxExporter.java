package dev.qwm.training.export;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.qwm.onnx.build.OnnxGraphBuilder;
import dev.qwm.training.model.Predictor;
import dev.qwm.training.model.WorldModelConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the four components of a world model as ONNX graphs with the bundle I/O contract (docs/bundle-contract.md):
 * <ul>
 *   <li>{@code visual_encoder}: {@code images} uint8 [B,H,W,3] to {@code latents} float [B,N,D]; the graph casts,
 *       scales to [-1,1] and cuts patches itself;</li>
 *   <li>{@code proprio_encoder}: raw {@code proprio} [B,T,P] to {@code proprio_emb} [B,T,10], normalising
 *       inside the graph;</li>
 *   <li>{@code action_encoder}: normalised {@code actions} [B,T,A] to {@code action_emb} [B,T,10];</li>
 *   <li>{@code predictor}: {@code z} [B,T,N,E] (T = 1..numHist) to {@code z_pred} [B,T,N,E] under the
 *       frame-causal mask.</li>
 * </ul>
 * The arithmetic is the DJL blocks' ({@link dev.qwm.training.model}) op for op, so the two agree to float
 * rounding. Linear layers are {@code MatMul} + {@code Add} (not Gemm) so that they accept 3-D and 4-D inputs
 * and the quantizer finds every weight behind a MatMul.
 */
public final class OnnxExporter {

    public static final String VISUAL_ENCODER = "visual_encoder";
    public static final String PROPRIO_ENCODER = "proprio_encoder";
    public static final String ACTION_ENCODER = "action_encoder";
    public static final String PREDICTOR = "predictor";

    private OnnxExporter() {
    }

    /** All four graphs, keyed by component name, in contract order. */
    public static Map<String, byte[]> exportAll(ModelWeights w) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        out.put(VISUAL_ENCODER, visualEncoder(w));
        out.put(PROPRIO_ENCODER, proprioEncoder(w));
        out.put(ACTION_ENCODER, actionEncoder(w));
        out.put(PREDICTOR, predictor(w));
        return out;
    }

    public static byte[] visualEncoder(ModelWeights w) {
        WorldModelConfig c = w.config();
        OnnxGraphBuilder g = new OnnxGraphBuilder(VISUAL_ENCODER).docString(
                "ViT visual encoder: uint8 RGB [B,H,W,3] -> patch latents [B,N,D] (no CLS, final LayerNorm)");
        String images = g.input("images", DataType.UINT8, "B", c.imageSize(), c.imageSize(), 3);
        String x;
        try (var s = g.scope("preprocess")) {
            x = g.cast(images, DataType.FLOAT);
            x = g.div(x, g.scalar("max", 255f));
            x = g.sub(x, g.scalar("mean", 0.5f));
            x = g.div(x, g.scalar("std", 0.5f));
            int gs = c.gridSize();
            int p = c.patchSize();
            x = g.reshape(x, -1, gs, p, gs, p, 3);
            x = g.transpose(x, 0, 1, 3, 2, 4, 5);
            x = g.reshape(x, -1, c.numPatches(), c.patchValues());
        }
        try (var s = g.scope("patch_embed")) {
            x = dense(g, x, w.encoder().patch());
            x = g.add(x, g.floatTensor("pos_embed", w.encoder().position(), c.numPatches(), c.latentDim()));
        }
        int i = 0;
        for (ModelWeights.Block b : w.encoder().blocks()) {
            try (var s = g.scope("block" + i++)) {
                x = block(g, x, b, null);
            }
        }
        try (var s = g.scope("norm")) {
            String gamma = g.floatTensor("gamma", w.encoder().norm().gamma(), c.latentDim());
            String beta = g.floatTensor("beta", w.encoder().norm().beta(), c.latentDim());
            x = g.named("latents").layerNorm(x, gamma, beta, WorldModelConfig.LAYER_NORM_EPS);
        }
        g.output(x, DataType.FLOAT, "B", c.numPatches(), c.latentDim());
        return g.toBytes();
    }

    public static byte[] proprioEncoder(ModelWeights w) {
        WorldModelConfig c = w.config();
        OnnxGraphBuilder g = new OnnxGraphBuilder(PROPRIO_ENCODER).docString(
                "Proprio encoder: raw proprio [B,T,P] -> normalised -> per-step linear -> [B,T,10]");
        String x = g.input("proprio", DataType.FLOAT, "B", "T", c.proprioDim());
        try (var s = g.scope("normalize")) {
            x = g.sub(x, g.floatTensor("mean", w.normalization().proprioMean(), c.proprioDim()));
            x = g.div(x, g.floatTensor("std", w.normalization().proprioStd(), c.proprioDim()));
        }
        try (var s = g.scope("embed")) {
            x = dense(g, x, w.proprio(), "proprio_emb");
        }
        g.output(x, DataType.FLOAT, "B", "T", c.proprioEmbDim());
        return g.toBytes();
    }

    public static byte[] actionEncoder(ModelWeights w) {
        WorldModelConfig c = w.config();
        OnnxGraphBuilder g = new OnnxGraphBuilder(ACTION_ENCODER).docString(
                "Action encoder: normalised macro actions [B,T,A] -> per-step linear -> [B,T,10]");
        String x = g.input("actions", DataType.FLOAT, "B", "T", c.actionDim());
        try (var s = g.scope("embed")) {
            x = dense(g, x, w.action(), "action_emb");
        }
        g.output(x, DataType.FLOAT, "B", "T", c.actionEmbDim());
        return g.toBytes();
    }

    public static byte[] predictor(ModelWeights w) {
        WorldModelConfig c = w.config();
        int n = c.numPatches();
        int e = c.tokenDim();
        int maxSeq = c.numHist() * n;
        OnnxGraphBuilder g = new OnnxGraphBuilder(PREDICTOR).docString(
                "ViT predictor (DINO-WM): z [B,T,N,E] -> z_pred [B,T,N,E], T in 1.." + c.numHist()
                        + ", frame-causal attention, output at frame i predicts frame i+1");
        String z = g.input("z", DataType.FLOAT, "B", "T", n, e);
        String x;
        String mask = null;
        try (var s = g.scope("tokens")) {
            x = g.reshape(z, 0, -1, e);
            // S = T*N at run time: slice the position table (and the mask) to the frames present.
            String seq = g.slice(g.shape(x), g.longs("one", 1), g.longs("two", 2), g.longs("axis0", 0));
            String pos = g.slice(g.floatTensor("pos_embed", w.predictor().position(), maxSeq, e),
                    g.longs("zero", 0), seq, g.longs("axis", 0));
            x = g.add(x, pos);
            if (c.numHist() > 1) {
                // With one frame nothing is masked, so a single-frame model carries no mask at all.
                mask = g.slice(g.floatTensor("frame_causal_mask", Predictor.frameCausalMask(c.numHist(), n), maxSeq, maxSeq),
                        g.longs("zeros", 0, 0), g.concat(0, seq, seq), g.longs("axes", 0, 1));
            }
        }
        int i = 0;
        for (ModelWeights.Block b : w.predictor().blocks()) {
            try (var s = g.scope("block" + i++)) {
                x = block(g, x, b, mask);
            }
        }
        try (var s = g.scope("norm")) {
            x = g.layerNorm(x, g.floatTensor("gamma", w.predictor().norm().gamma(), e),
                    g.floatTensor("beta", w.predictor().norm().beta(), e), WorldModelConfig.LAYER_NORM_EPS);
            String zShape = g.shape(z);
            x = g.named("z_pred").reshapeTo(x, zShape);
        }
        g.output(x, DataType.FLOAT, "B", "T", n, e);
        return g.toBytes();
    }

    /** Pre-LN transformer block; {@code mask} is an additive [S,S] value or null. */
    private static String block(OnnxGraphBuilder g, String x, ModelWeights.Block b, String mask) {
        int dim = b.norm1().gamma().length;
        int inner = b.heads() * b.headDim();
        String h;
        try (var s = g.scope("attn")) {
            h = g.layerNorm(x, g.floatTensor("norm1_gamma", b.norm1().gamma(), dim),
                    g.floatTensor("norm1_beta", b.norm1().beta(), dim), WorldModelConfig.LAYER_NORM_EPS);
            try (var q = g.scope("qkv")) {
                h = dense(g, h, b.qkv());
            }
            String[] qkv = g.split(h, -1, 3);
            String q = g.transpose(g.reshape(qkv[0], 0, 0, b.heads(), b.headDim()), 0, 2, 1, 3);
            String kT = g.transpose(g.reshape(qkv[1], 0, 0, b.heads(), b.headDim()), 0, 2, 3, 1);
            String v = g.transpose(g.reshape(qkv[2], 0, 0, b.heads(), b.headDim()), 0, 2, 1, 3);
            String scores = g.mul(g.matMul(q, kT), g.scalar("scale", (float) (1.0 / Math.sqrt(b.headDim()))));
            if (mask != null) {
                scores = g.add(scores, mask);
            }
            String o = g.matMul(g.softmax(scores, -1), v);
            o = g.reshape(g.transpose(o, 0, 2, 1, 3), 0, 0, inner);
            try (var p = g.scope("proj")) {
                o = dense(g, o, b.proj());
            }
            x = g.add(x, o);
        }
        try (var s = g.scope("mlp")) {
            h = g.layerNorm(x, g.floatTensor("norm2_gamma", b.norm2().gamma(), dim),
                    g.floatTensor("norm2_beta", b.norm2().beta(), dim), WorldModelConfig.LAYER_NORM_EPS);
            try (var f = g.scope("fc1")) {
                h = g.gelu(dense(g, h, b.fc1()));
            }
            try (var f = g.scope("fc2")) {
                h = dense(g, h, b.fc2());
            }
            x = g.add(x, h);
        }
        return x;
    }

    private static String dense(OnnxGraphBuilder g, String x, ModelWeights.Dense d) {
        return dense(g, x, d, null);
    }

    /** {@code x W + b}; the last op's output gets {@code outputName} when given. */
    private static String dense(OnnxGraphBuilder g, String x, ModelWeights.Dense d, String outputName) {
        String weight = g.floatTensor("weight", d.weight(), d.in(), d.out());
        if (d.bias() == null) {
            if (outputName != null) {
                g.named(outputName);
            }
            return g.matMul(x, weight);
        }
        String bias = g.floatTensor("bias", d.bias(), d.out());
        String y = g.matMul(x, weight);
        if (outputName != null) {
            g.named(outputName);
        }
        return g.add(y, bias);
    }
}
