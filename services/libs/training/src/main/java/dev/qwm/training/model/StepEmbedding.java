package dev.qwm.training.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.UniformInitializer;
import ai.djl.util.PairList;

/**
 * DINO-WM's {@code ProprioceptiveEmbedding} (a kernel-1 Conv1d): the same linear map applied to every time step,
 * {@code [B, T, in] -> [B, T, out]}. Used for both the proprio and the action encoder; inputs are already
 * normalised (the ONNX proprio graph normalises raw proprio itself).
 *
 * <p>Initialised as PyTorch initialises that Conv1d (weight and bias uniform in ±1/√in), not with DJL's default
 * Xavier (weight in ±√(12/(in+out)), about 1.4x wider here). Nothing in the loss sets the proprio embedding's scale
 * (its target is the detached embedding itself), yet that scale weighs the planning objective's {@code alpha} x
 * proprio term against the visual one: on Wall, start-to-goal proprio MSE 4.2 vs visual 1.03 after training from
 * DJL's initialisation, 1.46 vs 1.03 from this one (training README).
 */
public final class StepEmbedding extends AbstractBlock {

    /** Names the initialisation in the predictor stage's checkpoint key, so a change to it never resumes old runs. */
    public static final String INIT = "torch-conv1d-default";

    private final int inDim;
    private final int outDim;
    private final Linear linear;

    public StepEmbedding(int inDim, int outDim) {
        this.inDim = inDim;
        this.outDim = outDim;
        linear = addChildBlock("linear", Linear.builder().setUnits(outDim).build());
        UniformInitializer torchDefault = new UniformInitializer((float) (1 / Math.sqrt(inDim)));
        linear.setInitializer(torchDefault, Parameter.Type.WEIGHT);
        linear.setInitializer(torchDefault, Parameter.Type.BIAS);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        Shape s = inputs.head().getShape();
        if (s.dimension() != 3 || s.get(2) != inDim) {
            throw new IllegalArgumentException("expected [B, T, " + inDim + "], got " + s);
        }
        return linear.forward(ps, inputs, training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {new Shape(s.get(0), s.get(1), outDim)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        linear.initialize(manager, dataType, new Shape(1, 1, inDim));
    }

    public int inDim() {
        return inDim;
    }

    public int outDim() {
        return outDim;
    }

    public Linear linear() {
        return linear;
    }
}
