package dev.qwm.training.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.qwm.training.data.LatentEpisode;
import dev.qwm.training.model.DjlWorldModel;
import dev.qwm.training.model.Scalars;
import dev.qwm.training.model.WorldModelConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains the predictor with the proprio and action encoders on the frozen encoder's latents, by teacher forcing
 * as DINO-WM's {@code VWorldModel.forward}: a window of {@code numHist + 1} frames {@code frameskip} env steps
 * apart; the tokens of frames 0..H-1 (visual latent | proprio embedding | macro-action embedding) go in, and
 * the output at frame i is regressed onto frame i+1's visual latent and proprio embedding (the action channels
 * are not predicted; targets are detached), with one MSE over those channels.
 *
 * <p>With {@code rolloutSteps} K &gt; 1 the window grows to {@code numHist + K} frames and the predictor is then
 * rolled out on its own predictions, as the planner's CEM rolls it out (DINO-WM's {@code rollout}): the last
 * predicted frame, its action channels replaced by the next action's embedding, is appended to the history and the
 * oldest frame dropped, K - 1 times; each rolled-out step's last frame is regressed onto the true frame and the
 * gradient flows back through every step. See {@link #rolloutLoss}.
 */
public final class PredictorStage extends AdamStage {

    private final DjlWorldModel model;
    private final List<LatentEpisode> episodes;
    private final int batch;
    private final long seed;
    private final List<Parameter> parameters;
    private final Adam adam;
    private final long[] windowStarts; // cumulative count of valid window starts per episode
    private final float maxGradNorm;
    private final int rolloutSteps;
    private final float rolloutWeight;

    /** Teacher forcing only (a rollout of one step). */
    public PredictorStage(DjlWorldModel model, List<LatentEpisode> episodes, int batch, float weightDecay,
                          float maxGradNorm, long seed) {
        this(model, episodes, batch, weightDecay, maxGradNorm, seed, 1, 1f);
    }

    /**
     * @param rolloutSteps  K: macro steps the predictor is rolled out on its own predictions (1: teacher forcing)
     * @param rolloutWeight weight of each rolled-out step's loss relative to the teacher-forced first step's
     */
    public PredictorStage(DjlWorldModel model, List<LatentEpisode> episodes, int batch, float weightDecay,
                          float maxGradNorm, long seed, int rolloutSteps, float rolloutWeight) {
        if (rolloutSteps < 1) {
            throw new IllegalArgumentException("rollout steps must be at least 1, got " + rolloutSteps);
        }
        if (!(rolloutWeight >= 0) || Float.isInfinite(rolloutWeight)) {
            throw new IllegalArgumentException("rollout weight must be a finite number >= 0, got " + rolloutWeight);
        }
        this.rolloutSteps = rolloutSteps;
        this.rolloutWeight = rolloutWeight;
        this.model = model;
        this.maxGradNorm = maxGradNorm;
        this.episodes = episodes;
        this.batch = batch;
        this.seed = seed;
        WorldModelConfig c = model.config();
        int span = c.frameskip() * (c.numHist() + rolloutSteps - 1);
        windowStarts = new long[episodes.size() + 1];
        for (int i = 0; i < episodes.size(); i++) {
            windowStarts[i + 1] = windowStarts[i] + Math.max(0, episodes.get(i).steps() - span + 1);
        }
        if (windowStarts[episodes.size()] == 0) {
            throw new IllegalArgumentException("no episode is long enough for a window of " + (c.numHist() + rolloutSteps)
                    + " frames " + c.frameskip() + " steps apart (" + span + " steps)");
        }
        parameters = DjlWorldModel.trainable(model.proprioEncoder(), model.actionEncoder(), model.predictor());
        adam = Adam.standard(parameters, model.manager(), weightDecay);
    }

    public long windows() {
        return windowStarts[episodes.size()];
    }

    /** A batch of windows, uniform over all (episode, start) pairs. */
    Batch sample(long step) {
        WorldModelConfig c = model.config();
        SplittableRandom r = new SplittableRandom(seed * 0xC2B2AE3D27D4EB4FL + step);
        int h = c.numHist() + rolloutSteps - 1; // actions in the window; frames are h + 1
        int fs = c.frameskip();
        int per = c.numPatches() * c.latentDim();
        Batch b = new Batch(new float[batch * (h + 1) * per], new float[batch * (h + 1) * c.proprioDim()],
                new float[batch * h * c.actionDim()]);
        for (int i = 0; i < batch; i++) {
            long w = r.nextLong(windows());
            int ep = java.util.Arrays.binarySearch(windowStarts, w);
            ep = ep >= 0 ? ep : -ep - 2;
            while (windowStarts[ep + 1] <= w) {
                ep++;
            }
            LatentEpisode e = episodes.get(ep);
            int t0 = (int) (w - windowStarts[ep]);
            for (int k = 0; k <= h; k++) {
                int t = t0 + k * fs;
                e.copyLatent(t, b.visual, (i * (h + 1) + k) * per);
                e.copyProprio(t, b.proprio, (i * (h + 1) + k) * c.proprioDim());
                if (k < h) {
                    e.copyMacroAction(t, fs, b.actions, (i * h + k) * c.actionDim());
                }
            }
        }
        return b;
    }

    record Batch(float[] visual, float[] proprio, float[] actions) {
    }

    @Override
    NDManager manager() {
        return model.manager();
    }

    @Override
    Adam adam() {
        return adam;
    }

    @Override
    NDArray[] losses(long step, ParameterStore ps) {
        WorldModelConfig c = model.config();
        Batch b = sample(step);
        int h = c.numHist() + rolloutSteps - 1;
        int n = c.numPatches();
        int d = c.latentDim();
        NDManager manager = model.manager();
        NDArray visual = manager.create(b.visual, new Shape(batch, h + 1, n, d));
        NDArray proprio = manager.create(b.proprio, new Shape(batch, h + 1, c.proprioDim()));
        NDArray actions = manager.create(b.actions, new Shape(batch, h, c.actionDim()));
        return rolloutLoss(model, ps, visual, proprio, actions, rolloutSteps, rolloutWeight, true);
    }

    @Override
    void metrics(NDArray[] losses, Map<String, Double> m) {
        m.put("visual", (double) losses[1].getFloat());
        m.put("proprio", (double) losses[2].getFloat());
        if (rolloutSteps > 1) {
            m.put("last", (double) losses[losses.length - 1].getFloat());
        }
    }

    /** Clipped to {@code maxGradNorm}; a non-finite loss always gives a non-finite gradient, which Adam skips. */
    @Override
    double update(float lr) {
        return adam.step(lr, maxGradNorm);
    }

    /**
     * DINO-WM's training loss. Returns [loss over visual+proprio channels, visual part, proprio part].
     * visual [B,H+1,N,D], proprio (normalised) [B,H+1,P], actions (normalised macro) [B,H,A].
     */
    static NDArray[] teacherForcingLoss(DjlWorldModel model, ParameterStore ps, NDArray visual, NDArray proprio,
                                        NDArray actions, boolean training) {
        WorldModelConfig c = model.config();
        long bsz = visual.getShape().get(0);
        int h = (int) actions.getShape().get(1);
        int n = c.numPatches();
        int d = c.latentDim();
        int ep = c.proprioEmbDim();
        NDArray pe = model.embedProprio(ps, proprio, training);                 // [B,H+1,Ep]
        NDArray ae = model.embedAction(ps, actions, training);                  // [B,H,Ea]
        NDArray src = model.tokens(visual.get(":, 0:{}", h), pe.get(":, 0:{}", h), ae);
        NDArray pred = model.predict(ps, src, training);                        // [B,H,N,E]
        NDArray targetProprio = pe.get(":, 1:").stopGradient().reshape(bsz, h, 1, ep).repeat(2, n);
        NDArray target = NDArrays.concat(new NDList(visual.get(":, 1:"), targetProprio), 3);
        NDArray diff = pred.get(":, :, :, 0:{}", d + ep).sub(target).square();
        NDArray loss = diff.mean();
        NDArray visualLoss = diff.get(":, :, :, 0:{}", d).mean();
        NDArray proprioLoss = diff.get(":, :, :, {}:", d).mean();
        return new NDArray[] {loss, visualLoss, proprioLoss};
    }

    /**
     * The loss over a rollout of K = {@code steps} macro steps, as the planner rolls the predictor out. Step 1 is
     * {@link #teacherForcingLoss} on frames 0..H (H = numHist). Step k = 2..K feeds the history of step k-1 minus its
     * oldest frame plus step k-1's last predicted frame (visual and proprio channels as predicted, action channels
     * replaced by the embedding of the action at that frame) and regresses the new last prediction onto true frame
     * H+k-1. Nothing is detached between steps, so a step's error also trains the steps that fed it. The loss is
     * {@code (L_1 + w * (L_2 + ... + L_K)) / (1 + w * (K - 1))}: with K = 1 exactly teacher forcing; with w = 1 the
     * mean over steps.
     *
     * @param visual  [B,H+K,N,D] true latents
     * @param proprio [B,H+K,P] normalised
     * @param actions [B,H+K-1,A] normalised macro actions
     * @return [loss, its visual part, its proprio part, then the loss (visual + proprio channels) of each step 1..K]
     */
    static NDArray[] rolloutLoss(DjlWorldModel model, ParameterStore ps, NDArray visual, NDArray proprio,
                                 NDArray actions, int steps, float weight, boolean training) {
        WorldModelConfig c = model.config();
        int h = c.numHist();
        if (actions.getShape().get(1) != h + steps - 1 || visual.getShape().get(1) != h + steps) {
            throw new IllegalArgumentException("a rollout of " + steps + " steps with numHist " + h + " needs "
                    + (h + steps) + " frames and " + (h + steps - 1) + " actions, got " + visual.getShape() + " and "
                    + actions.getShape());
        }
        if (steps == 1) {
            NDArray[] tf = teacherForcingLoss(model, ps, visual, proprio, actions, training);
            return new NDArray[] {tf[0], tf[1], tf[2], tf[0]};
        }
        long bsz = visual.getShape().get(0);
        int n = c.numPatches();
        int d = c.latentDim();
        int ep = c.proprioEmbDim();
        int ea = c.actionEmbDim();
        NDArray pe = model.embedProprio(ps, proprio, training);                 // [B,H+K,Ep]
        NDArray ae = model.embedAction(ps, actions, training);                  // [B,H+K-1,Ea]
        NDArray targetProprio = pe.stopGradient().reshape(bsz, h + steps, 1, ep).repeat(2, n);
        NDArray target = NDArrays.concat(new NDList(visual, targetProprio), 3);  // [B,H+K,N,D+Ep]

        NDArray z = model.tokens(visual.get(":, 0:{}", h), pe.get(":, 0:{}", h), ae.get(":, 0:{}", h));
        NDArray pred = model.predict(ps, z, training);                          // [B,H,N,E]
        NDArray diff = pred.get(":, :, :, 0:{}", d + ep).sub(target.get(":, 1:{}", h + 1)).square();
        NDArray[] out = new NDArray[3 + steps];
        out[3] = diff.mean();
        NDArray visualSum = diff.get(":, :, :, 0:{}", d).mean();
        NDArray proprioSum = diff.get(":, :, :, {}:", d).mean();
        NDArray lossSum = out[3];
        for (int k = 2; k <= steps; k++) {
            // The frame the last prediction stands for is window frame h + k - 2; it is fed with that frame's action.
            NDArray next = NDArrays.concat(new NDList(pred.get(":, {}:{}, :, 0:{}", h - 1, h, d + ep),
                    ae.get(":, {}:{}", h + k - 2, h + k - 1).reshape(bsz, 1, 1, ea).repeat(2, n)), 3);
            z = h == 1 ? next : NDArrays.concat(new NDList(z.get(":, 1:"), next), 1);
            pred = model.predict(ps, z, training);
            NDArray d2 = pred.get(":, {}:{}, :, 0:{}", h - 1, h, d + ep)
                    .sub(target.get(":, {}:{}", h + k - 1, h + k)).square();
            out[2 + k] = d2.mean();
            lossSum = lossSum.add(Scalars.mul(out[2 + k], weight));
            visualSum = visualSum.add(Scalars.mul(d2.get(":, :, :, 0:{}", d).mean(), weight));
            proprioSum = proprioSum.add(Scalars.mul(d2.get(":, :, :, {}:", d).mean(), weight));
        }
        float norm = 1 + weight * (steps - 1);
        out[0] = Scalars.div(lossSum, norm);
        out[1] = Scalars.div(visualSum, norm);
        out[2] = Scalars.div(proprioSum, norm);
        return out;
    }

    @Override
    public void save(Path dir) throws IOException {
        model.save(dir);
        adam.save(dir.resolve("adam.bin"));
    }

    @Override
    public void load(Path dir) throws IOException {
        // The encoder is frozen and already loaded; restore the trained parts and the optimiser.
        DjlWorldModel loaded = model;
        loaded.load(dir);
        adam.load(dir.resolve("adam.bin"), model.manager());
    }

    public List<Parameter> parameters() {
        return new ArrayList<>(parameters);
    }
}
