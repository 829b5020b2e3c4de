package dev.qwm.training.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.qwm.training.data.LatentEpisode;
import dev.qwm.training.model.WorldModel;
import dev.qwm.training.model.WorldModelConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains the predictor with the proprio and action encoders on the frozen encoder's latents, by teacher forcing
 * as DINO-WM's {@code VWorldModel.forward}: a window of {@code numHist + 1} frames {@code frameskip} env steps
 * apart; the tokens of frames 0..H-1 (visual latent | proprio embedding | macro-action embedding) go in, and
 * the output at frame i is regressed onto frame i+1's visual latent and proprio embedding (the action channels
 * are not predicted; targets are detached), with one MSE over those channels.
 */
public final class PredictorStage implements TrainLoop.Stage {

    private final WorldModel model;
    private final List<LatentEpisode> episodes;
    private final int batch;
    private final long seed;
    private final List<Parameter> parameters;
    private final Adam adam;
    private final long[] windowStarts; // cumulative count of valid window starts per episode
    private final float maxGradNorm;

    public PredictorStage(WorldModel model, List<LatentEpisode> episodes, int batch, float weightDecay,
                          float maxGradNorm, long seed) {
        this.model = model;
        this.maxGradNorm = maxGradNorm;
        this.episodes = episodes;
        this.batch = batch;
        this.seed = seed;
        WorldModelConfig c = model.config();
        int span = c.frameskip() * c.numHist();
        windowStarts = new long[episodes.size() + 1];
        for (int i = 0; i < episodes.size(); i++) {
            windowStarts[i + 1] = windowStarts[i] + Math.max(0, episodes.get(i).steps() - span + 1);
        }
        if (windowStarts[episodes.size()] == 0) {
            throw new IllegalArgumentException("no episode is long enough for a window of " + (c.numHist() + 1)
                    + " frames " + c.frameskip() + " steps apart (" + span + " steps)");
        }
        parameters = WorldModel.trainable(model.proprioEncoder(), model.actionEncoder(), model.predictor());
        adam = Adam.standard(parameters, model.manager(), weightDecay);
    }

    public long windows() {
        return windowStarts[episodes.size()];
    }

    /** A batch of windows, uniform over all (episode, start) pairs. */
    Batch sample(long step) {
        WorldModelConfig c = model.config();
        SplittableRandom r = new SplittableRandom(seed * 0xC2B2AE3D27D4EB4FL + step);
        int h = c.numHist();
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

    private Map<String, Double> forwardBackward(long step, boolean update, float lr) {
        WorldModelConfig c = model.config();
        Batch b = sample(step);
        int h = c.numHist();
        int n = c.numPatches();
        int d = c.latentDim();
        Map<String, Double> m = new LinkedHashMap<>();
        NDManager manager = model.manager();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray visual = manager.create(b.visual, new Shape(batch, h + 1, n, d));
            NDArray proprio = manager.create(b.proprio, new Shape(batch, h + 1, c.proprioDim()));
            NDArray actions = manager.create(b.actions, new Shape(batch, h, c.actionDim()));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray[] losses = teacherForcingLoss(model, ps, visual, proprio, actions, true);
                gc.backward(losses[0]);
                m.put("loss", (double) losses[0].getFloat());
                m.put("visual", (double) losses[1].getFloat());
                m.put("proprio", (double) losses[2].getFloat());
            }
            if (update) {
                // Adam skips (and zeroes) a non-finite gradient, which a non-finite loss always gives.
                m.put("gnorm", adam.step(lr, maxGradNorm));
            } else {
                adam.zeroGradients();
            }
        }
        return m;
    }

    /**
     * DINO-WM's training loss. Returns [loss over visual+proprio channels, visual part, proprio part].
     * visual [B,H+1,N,D], proprio (normalised) [B,H+1,P], actions (normalised macro) [B,H,A].
     */
    static NDArray[] teacherForcingLoss(WorldModel model, ParameterStore ps, NDArray visual, NDArray proprio,
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

    @Override
    public Map<String, Double> step(long step, float lr) {
        return forwardBackward(step, true, lr);
    }

    @Override
    public void dryStep(long step) {
        // A whole step at learning rate 0 (so it costs what a real one does, update included), then the optimiser
        // forgets it: the weights are untouched and the run starts exactly as without timing.
        forwardBackward(step, true, 0f);
        adam.reset();
    }

    @Override
    public void save(Path dir) throws IOException {
        model.save(dir);
        adam.save(dir.resolve("adam.bin"));
    }

    @Override
    public void load(Path dir) throws IOException {
        // The encoder is frozen and already loaded; restore the trained parts and the optimiser.
        WorldModel loaded = model;
        loaded.load(dir);
        adam.load(dir.resolve("adam.bin"), model.manager());
    }

    public List<Parameter> parameters() {
        return new ArrayList<>(parameters);
    }
}
