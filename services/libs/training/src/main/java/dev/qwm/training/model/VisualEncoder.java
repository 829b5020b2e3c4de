package dev.qwm.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * ViT visual encoder over non-overlapping patches, DINO-WM style: patch tokens only (no CLS), learned position
 * embedding, pre-LN blocks and a final LayerNorm (DINOv2's {@code x_norm_patchtokens}).
 *
 * <p>Input: images {@code [B, H, W, 3]} with values 0..255 (uint8 or float). They are scaled to [-1, 1] as
 * DINO-WM's transform does ({@code /255}, then {@code (x - 0.5) / 0.5}), cut into patches flattened in
 * (row, column, channel) order, and projected to D. Output: latents {@code [B, N, D]}.
 */
public final class VisualEncoder extends AbstractBlock {

    private final WorldModelConfig config;
    private final Linear patchEmbed;
    private final Parameter position;
    private final List<TransformerBlock> blocks = new ArrayList<>();
    private final LayerNorm norm;

    public VisualEncoder(WorldModelConfig config) {
        this.config = config;
        patchEmbed = addChildBlock("patch_embed", Linear.builder().setUnits(config.latentDim()).build());
        position = addParameter(Parameter.builder()
                .setName("pos_embed")
                .setType(Parameter.Type.OTHER)
                .optInitializer(new NormalInitializer(0.02f))
                .optShape(new Shape(config.numPatches(), config.latentDim()))
                .build());
        for (int i = 0; i < config.encoderDepth(); i++) {
            blocks.add(addChildBlock("block" + i, new TransformerBlock(config.latentDim(), config.encoderHeads(),
                    config.encoderHeadDim(), config.encoderMlpDim(), true)));
        }
        norm = addChildBlock("norm", TransformerBlock.layerNorm());
    }

    /** Images 0..255 to [-1, 1], the same op sequence as the ONNX graph. */
    public static NDArray normalizeImages(NDArray images) {
        return images.toType(DataType.FLOAT32, false).div(255f).sub(0.5f).div(0.5f);
    }

    /** [B, H, W, 3] to [B, N, p*p*3], patches in row-major grid order, values in (row, column, channel) order. */
    public NDArray patchify(NDArray x) {
        long b = x.getShape().get(0);
        int g = config.gridSize();
        int p = config.patchSize();
        return x.reshape(b, g, p, g, p, 3).transpose(0, 1, 3, 2, 4, 5).reshape(b, config.numPatches(), config.patchValues());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray images = inputs.head();
        Shape s = images.getShape();
        if (s.dimension() != 4 || s.get(1) != config.imageSize() || s.get(2) != config.imageSize() || s.get(3) != 3) {
            throw new IllegalArgumentException("images must be [B," + config.imageSize() + "," + config.imageSize()
                    + ",3], got " + s);
        }
        NDArray x = patchify(normalizeImages(images));
        x = patchEmbed.forward(ps, new NDList(x), training).head();
        x = x.add(ps.getValue(position, x.getDevice(), training));
        for (TransformerBlock block : blocks) {
            x = block.forward(ps, new NDList(x), training).head();
        }
        return norm.forward(ps, new NDList(x), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), config.numPatches(), config.latentDim())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        patchEmbed.initialize(manager, dataType, new Shape(1, config.numPatches(), config.patchValues()));
        Shape tokens = new Shape(1, config.numPatches(), config.latentDim());
        for (TransformerBlock block : blocks) {
            block.initialize(manager, dataType, tokens);
        }
        norm.initialize(manager, dataType, tokens);
    }

    public WorldModelConfig config() {
        return config;
    }

    public Linear patchEmbed() {
        return patchEmbed;
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
