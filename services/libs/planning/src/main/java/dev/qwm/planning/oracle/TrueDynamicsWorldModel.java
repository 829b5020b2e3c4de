package dev.qwm.planning.oracle;

import dev.qwm.env.FrameStyle;
import dev.qwm.env.Environment;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.ActionNormalization;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Objective;
import dev.qwm.planning.Observation;
import dev.qwm.planning.WorldModel;
import dev.qwm.planning.onnx.OnnxWorldModel;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * A learned model's latent space with the true simulator as its dynamics: every candidate is rolled out in the
 * simulator, its final frame rendered and encoded by the bundle's visual encoder, its final proprio embedded by the
 * bundle's proprio encoder, and scored by the same {@link Objective} as the learned model. The predictor is not used.
 *
 * <p>It separates the two ways a world model can fail to plan: if planning succeeds here, the encoder's latent
 * distances carry the planning signal and what is missing is the predictor's accuracy; if it fails here, no
 * predictor can make the objective work.
 *
 * <p>A latent's visual part is {@code [exact state | encoder latent]}: the state rides along so that rollouts can
 * start from it, and only the encoder part enters the objective and the divergence metrics' scale.
 */
public final class TrueDynamicsWorldModel implements WorldModel {

    private final OnnxWorldModel model;
    private final Environment scratch;
    private final int stateDim;

    public TrueDynamicsWorldModel(OnnxWorldModel model, Supplier<Environment> environments) {
        this.model = model;
        this.scratch = environments.get();
        this.stateDim = scratch.stateDim();
        if (!scratch.kind().cliName().equals(model.environment())) {
            throw new IllegalArgumentException("bundle " + model.manifest().name() + " is a " + model.environment()
                    + " model; the simulator is " + scratch.kind().cliName());
        }
        if (scratch.frameStyle() != model.frameStyle()) {
            throw new IllegalArgumentException("bundle " + model.manifest().name() + " reads "
                    + model.frameStyle().cliName() + " frames; the simulator draws " + scratch.frameStyle().cliName());
        }
    }

    @Override
    public String reference() {
        return "true-dynamics:" + model.reference();
    }

    @Override
    public String environment() {
        return model.environment();
    }

    @Override
    public int actionDim() {
        return model.actionDim();
    }

    @Override
    public ActionNormalization actionNormalization() {
        return model.actionNormalization();
    }

    @Override
    public int imageSize() {
        return model.imageSize();
    }

    @Override
    public FrameStyle frameStyle() {
        return model.frameStyle();
    }

    @Override
    public Latent encode(Observation observation) {
        if (observation.state() == null || observation.state().length != stateDim) {
            throw new IllegalArgumentException("true-dynamics planning needs the exact " + stateDim + "-D state");
        }
        Latent l = model.encode(observation);
        return new Latent(withState(observation.state(), l.visual(), 0, l.visual().length), l.proprio());
    }

    @Override
    public Latent[] rollout(Latent start, ActionBatch actions) {
        double[] s0 = new double[stateDim];
        for (int i = 0; i < stateDim; i++) {
            s0[i] = start.visual()[i];
        }
        int size = model.imageSize();
        ByteBuffer frames = ByteBuffer.allocateDirect(actions.batch() * size * size * 3);
        double[][] finals = new double[actions.batch()][];
        ActionNormalization norm = model.actionNormalization();
        for (int b = 0; b < actions.batch(); b++) {
            finals[b] = OracleWorldModel.simulate(scratch, norm, s0, actions, b);
            frames.put(scratch.render(finals[b], size));
        }
        frames.flip();
        float[] z = model.visualEncoder().encode(frames, actions.batch());
        int per = z.length / actions.batch();
        Latent[] out = new Latent[actions.batch()];
        for (int b = 0; b < out.length; b++) {
            out[b] = new Latent(withState(finals[b], z, b * per, per),
                    model.dynamics().embedProprio(scratch.proprioOf(finals[b])));
        }
        return out;
    }

    @Override
    public double[] score(Latent start, Latent goal, ActionBatch actions, Objective objective) {
        Latent[] last = rollout(start, actions);
        Latent g = encoderPart(goal);
        double[] losses = new double[last.length];
        for (int b = 0; b < last.length; b++) {
            losses[b] = objective.loss(encoderPart(last[b]), g);
        }
        return losses;
    }

    /** The latent the bundle's own objective sees (the state part dropped). */
    public Latent encoderPart(Latent latent) {
        float[] v = latent.visual();
        return new Latent(Arrays.copyOfRange(v, stateDim, v.length), latent.proprio());
    }

    private float[] withState(double[] state, float[] latents, int offset, int length) {
        float[] v = new float[stateDim + length];
        for (int i = 0; i < stateDim; i++) {
            v[i] = (float) state[i];
        }
        System.arraycopy(latents, offset, v, stateDim, length);
        return v;
    }

    @Override
    public void close() {
        model.close();
    }
}
