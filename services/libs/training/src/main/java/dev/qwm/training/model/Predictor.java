package dev.qwm.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * DINO-WM's ViT predictor ({@code models/vit.py::ViTPredictor}): tokens of all history frames in one sequence,
 * a learned position embedding for {@code numHist x N} tokens (sliced to the frames present), pre-LN blocks with
 * bias-free qkv under a frame-causal mask (a token of frame i sees every token of frames 0..i), and a final
 * LayerNorm. {@code num_pred = 1}: the output at frame i is the prediction of frame i + 1.
 *
 * <p>Input {@code z [B, T, N, E]} with {@code 1 <= T <= numHist}; output {@code z_pred [B, T, N, E]}.
 */
public final class Predictor extends AbstractBlock {

    /** Additive mask value for blocked attention; exp() of it underflows to exactly 0 in float32. */
    public static final float MASKED = -1e9f;

    private final WorldModelConfig config;
    private final Parameter position;
    private final List<TransformerBlock> blocks = new ArrayList<>();
    private final LayerNorm norm;

    public Predictor(WorldModelConfig config) {
        this.config = config;
        position = addParameter(Parameter.builder()
                .setName("pos_embed")
                .setType(Parameter.Type.OTHER)
                .optInitializer(new NormalInitializer(0.02f))
                .optShape(new Shape((long) config.numHist() * config.numPatches(), config.tokenDim()))
                .build());
        for (int i = 0; i < config.predictorDepth(); i++) {
            blocks.add(addChildBlock("block" + i, new TransformerBlock(config.tokenDim(), config.predictorHeads(),
                    config.predictorHeadDim(), config.predictorMlpDim(), false)));
        }
        norm = addChildBlock("norm", TransformerBlock.layerNorm());
    }

    /** Frame-causal additive mask for {@code frames x patches} tokens, row-major [S, S]. */
    public static float[] frameCausalMask(int frames, int patches) {
        int s = frames * patches;
        float[] mask = new float[s * s];
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < s; j++) {
                mask[i * s + j] = (j / patches) <= (i / patches) ? 0f : MASKED;
            }
        }
        return mask;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray z = inputs.head();
        Shape s = z.getShape();
        int t = (int) s.get(1);
        if (s.dimension() != 4 || t < 1 || t > config.numHist() || s.get(2) != config.numPatches()
                || s.get(3) != config.tokenDim()) {
            throw new IllegalArgumentException("z must be [B, 1.." + config.numHist() + ", " + config.numPatches() + ", "
                    + config.tokenDim() + "], got " + s);
        }
        long b = s.get(0);
        int seq = t * config.numPatches();
        NDArray x = z.reshape(b, seq, config.tokenDim());
        NDArray pos = ps.getValue(position, x.getDevice(), training);
        x = x.add(pos.get(new NDIndex("0:{}", seq)));
        NDArray mask = z.getManager().create(frameCausalMask(t, config.numPatches()), new Shape(seq, seq));
        for (TransformerBlock block : blocks) {
            x = block.forward(ps, new NDList(x, mask), training).head();
        }
        x = norm.forward(ps, new NDList(x), training).head();
        return new NDList(x.reshape(s));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape tokens = new Shape(1, config.numPatches(), config.tokenDim());
        for (TransformerBlock block : blocks) {
            block.initialize(manager, dataType, tokens);
        }
        norm.initialize(manager, dataType, tokens);
    }

    public WorldModelConfig config() {
        return config;
    }

    public Parameter position() {
        return position;
    }

    public List<TransformerBlock> blocks() {
        return Collections.unmodifiableList(blocks);
    }

    public LayerNorm norm() {
        return norm;
    }
}
