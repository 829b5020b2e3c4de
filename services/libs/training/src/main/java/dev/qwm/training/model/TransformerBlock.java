package dev.qwm.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Pre-LN transformer block as in ViT and DINO-WM's predictor: {@code x + proj(attn(LN(x)))}, then
 * {@code x + fc2(GELU(fc1(LN(x))))}. Attention uses a fused qkv projection split into (q, k, v) along the last
 * axis, then into heads; an optional additive mask [S,S] (0 or a large negative) is added to the scores.
 *
 * <p>Input {@code [B, S, dim]} (and optionally the mask as second input); output the same shape. The
 * {@link dev.qwm.training.export.OnnxExporter} writes the very same arithmetic as ONNX.
 */
public final class TransformerBlock extends AbstractBlock {

    private final int dim;
    private final int heads;
    private final int headDim;
    private final LayerNorm norm1;
    private final Linear qkv;
    private final Linear proj;
    private final LayerNorm norm2;
    private final Linear fc1;
    private final Linear fc2;

    public TransformerBlock(int dim, int heads, int headDim, int mlpDim, boolean qkvBias) {
        this.dim = dim;
        this.heads = heads;
        this.headDim = headDim;
        int inner = heads * headDim;
        norm1 = addChildBlock("norm1", layerNorm());
        qkv = addChildBlock("qkv", Linear.builder().setUnits(3L * inner).optBias(qkvBias).build());
        proj = addChildBlock("proj", Linear.builder().setUnits(dim).build());
        norm2 = addChildBlock("norm2", layerNorm());
        fc1 = addChildBlock("fc1", Linear.builder().setUnits(mlpDim).build());
        fc2 = addChildBlock("fc2", Linear.builder().setUnits(dim).build());
    }

    /** LayerNorm over the last axis; initialise it with a rank-3 shape {@code (1, 1, dim)}. */
    static LayerNorm layerNorm() {
        return LayerNorm.builder().axis(2).optEpsilon(WorldModelConfig.LAYER_NORM_EPS).build();
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray mask = inputs.size() > 1 ? inputs.get(1) : null;
        x = x.add(attention(ps, norm1.forward(ps, new NDList(x), training).head(), mask, training));
        NDArray h = fc1.forward(ps, new NDList(norm2.forward(ps, new NDList(x), training).head()), training).head();
        h = fc2.forward(ps, new NDList(Activation.gelu(h)), training).head();
        return new NDList(x.add(h));
    }

    private NDArray attention(ParameterStore ps, NDArray x, NDArray mask, boolean training) {
        Shape s = x.getShape();
        long b = s.get(0);
        long seq = s.get(1);
        NDList qkvParts = qkv.forward(ps, new NDList(x), training).head().split(3, 2);
        NDArray q = heads(qkvParts.get(0), b, seq);
        NDArray k = heads(qkvParts.get(1), b, seq);
        NDArray v = heads(qkvParts.get(2), b, seq);
        NDArray scores = Scalars.mul(q.matMul(k.transpose(0, 1, 3, 2)), (float) (1.0 / Math.sqrt(headDim)));
        if (mask != null) {
            scores = scores.add(mask);
        }
        NDArray out = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(b, seq, (long) heads * headDim);
        return proj.forward(ps, new NDList(out), training).head();
    }

    private NDArray heads(NDArray t, long b, long seq) {
        return t.reshape(b, seq, heads, headDim).transpose(0, 2, 1, 3);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape tokens = new Shape(1, 1, dim);
        norm1.initialize(manager, dataType, tokens);
        qkv.initialize(manager, dataType, tokens);
        proj.initialize(manager, dataType, new Shape(1, 1, (long) heads * headDim));
        norm2.initialize(manager, dataType, tokens);
        fc1.initialize(manager, dataType, tokens);
        fc2.initialize(manager, dataType, fc1.getOutputShapes(new Shape[] {tokens})[0]);
    }

    public int dim() {
        return dim;
    }

    public int heads() {
        return heads;
    }

    public int headDim() {
        return headDim;
    }

    public LayerNorm norm1() {
        return norm1;
    }

    public Linear qkv() {
        return qkv;
    }

    public Linear proj() {
        return proj;
    }

    public LayerNorm norm2() {
        return norm2;
    }

    public Linear fc1() {
        return fc1;
    }

    public Linear fc2() {
        return fc2;
    }
}
