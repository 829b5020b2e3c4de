package dev.qwm.training.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.qwm.training.model.Normalization;
import dev.qwm.training.model.DjlWorldModel;
import dev.qwm.training.model.WorldModelConfig;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The multi-step rollout loss: what it reduces to, what it rolls out, and that it trains through the rollout. */
class RolloutLossTest {

    /** numHist h, 4 tokens of 8-D, proprio 2-D, actions 10-D. */
    static WorldModelConfig config(int h) {
        return new WorldModelConfig(16, 8, 8, 0, 2, 16, 2, 10, 10, 10, 2, 2, 8, 32, h, 5);
    }

    static NDArray gaussian(NDManager m, SplittableRandom r, Shape s) {
        float[] a = new float[(int) s.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return m.create(a, s);
    }

    record Window(NDArray visual, NDArray proprio, NDArray actions) {
    }

    static Window window(NDManager m, WorldModelConfig c, int frames, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return new Window(gaussian(m, r, new Shape(3, frames, c.numPatches(), c.latentDim())),
                gaussian(m, r, new Shape(3, frames, c.proprioDim())),
                gaussian(m, r, new Shape(3, frames - 1, c.actionDim())));
    }

    static DjlWorldModel model(WorldModelConfig c, NDManager m) {
        Engine.getInstance().setRandomSeed(11);
        return DjlWorldModel.create(c, Normalization.identity(c.proprioDim(), c.actionDim()), m);
    }

    @Test
    void withoutRolledOutStepsItIsTeacherForcing() {
        for (int h : new int[] {1, 2}) {
            WorldModelConfig c = config(h);
            try (NDManager m = NDManager.newBaseManager()) {
                DjlWorldModel model = model(c, m);
                ParameterStore ps = new ParameterStore(m, false);
                Window w = window(m, c, h + 3, 3);
                NDArray[] tf = PredictorStage.teacherForcingLoss(model, ps, w.visual.get(":, 0:{}", h + 1),
                        w.proprio.get(":, 0:{}", h + 1), w.actions.get(":, 0:{}", h), false);
                // K = 1 and, through the general path, K = 3 at weight 0: only step 1 counts.
                NDArray[] one = PredictorStage.rolloutLoss(model, ps, w.visual.get(":, 0:{}", h + 1),
                        w.proprio.get(":, 0:{}", h + 1), w.actions.get(":, 0:{}", h), 1, 1f, false);
                NDArray[] three = PredictorStage.rolloutLoss(model, ps, w.visual, w.proprio, w.actions, 3, 0f, false);
                for (int i = 0; i < 3; i++) {
                    assertEquals(tf[i].getFloat(), one[i].getFloat(), 0f);
                    assertEquals(tf[i].getFloat(), three[i].getFloat(), 1e-6f * tf[i].getFloat());
                }
                assertEquals(6, three.length);
                assertEquals(tf[0].getFloat(), three[3].getFloat(), 1e-6f * tf[0].getFloat());
                // The rolled-out steps are there, and with weight 1 the loss is the mean over the three steps.
                NDArray[] mean = PredictorStage.rolloutLoss(model, ps, w.visual, w.proprio, w.actions, 3, 1f, false);
                float expected = (mean[3].getFloat() + mean[4].getFloat() + mean[5].getFloat()) / 3;
                assertEquals(expected, mean[0].getFloat(), 1e-6f * expected);
                assertTrue(mean[5].getFloat() > 0);
            }
        }
    }

    /**
     * Each rolled-out step equals DINO-WM's rollout written out by hand: the history is shifted by one frame, the
     * last prediction appended with its visual and proprio channels as predicted and the next action's embedding.
     */
    @Test
    void rollsOutOnItsOwnPredictionsAsThePlannerDoes() {
        int h = 2;
        int k = 3;
        WorldModelConfig c = config(h);
        int n = c.numPatches();
        int d = c.latentDim();
        int ep = c.proprioEmbDim();
        try (NDManager m = NDManager.newBaseManager()) {
            DjlWorldModel model = model(c, m);
            ParameterStore ps = new ParameterStore(m, false);
            Window w = window(m, c, h + k, 5);
            NDArray[] losses = PredictorStage.rolloutLoss(model, ps, w.visual, w.proprio, w.actions, k, 1f, false);
            NDArray pe = model.embedProprio(ps, w.proprio, false);
            NDArray ae = model.embedAction(ps, w.actions, false);
            // frames[i] holds the tokens fed for window frame i: true for 0..h-1, then predicted ones.
            NDArray[] frames = new NDArray[h + k];
            for (int i = 0; i < h; i++) {
                frames[i] = model.tokens(w.visual.get(":, {}:{}", i, i + 1), pe.get(":, {}:{}", i, i + 1),
                        ae.get(":, {}:{}", i, i + 1));
            }
            for (int step = 1; step <= k; step++) {
                NDList hist = new NDList();
                for (int i = step - 1; i < step - 1 + h; i++) {
                    hist.add(frames[i]);
                }
                NDArray pred = model.predict(ps, NDArrays.concat(hist, 1), false).get(":, {}:{}", h - 1, h);
                int target = step - 1 + h;
                NDArray truth = NDArrays.concat(new NDList(w.visual.get(":, {}:{}", target, target + 1),
                        pe.get(":, {}:{}", target, target + 1).reshape(3, 1, 1, ep).repeat(2, n)), 3);
                float mse = pred.get(":, :, :, 0:{}", d + ep).sub(truth).square().mean().getFloat();
                if (step > 1) {
                    assertEquals(mse, losses[2 + step].getFloat(), 1e-5f * mse, "step " + step);
                }
                if (target < h + k - 1) {
                    frames[target] = NDArrays.concat(new NDList(pred.get(":, :, :, 0:{}", d + ep),
                            ae.get(":, {}:{}", target, target + 1).reshape(3, 1, 1, c.actionEmbDim()).repeat(2, n)), 3);
                }
            }
        }
    }

    /**
     * The gradient of a rolled-out step reaches the frame the rollout started from (nothing is detached between
     * steps) and never the true frame that the prediction replaced (the rollout does not peek at it).
     */
    @Test
    void theGradientFlowsThroughTheRollout() {
        WorldModelConfig c = config(1);
        try (NDManager m = NDManager.newBaseManager()) {
            DjlWorldModel model = model(c, m);
            ParameterStore ps = new ParameterStore(m, false);
            Window w = window(m, c, 3, 7);
            w.visual.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray[] losses = PredictorStage.rolloutLoss(model, ps, w.visual, w.proprio, w.actions, 2, 1f, true);
                gc.backward(losses[4]); // step 2 alone
            }
            NDArray g = w.visual.getGradient();
            float[] start = g.get(":, 0").toFloatArray();
            float[] replaced = g.get(":, 1").toFloatArray();
            assertTrue(max(start) > 1e-6, "no gradient reaches the rollout's first frame");
            assertArrayEquals(new float[replaced.length], replaced, "the rolled-out step used the true frame 1");
        }
    }

    @Test
    void refusesAWindowOfTheWrongLengthAndBadSettings() {
        WorldModelConfig c = config(1);
        try (NDManager m = NDManager.newBaseManager()) {
            DjlWorldModel model = model(c, m);
            ParameterStore ps = new ParameterStore(m, false);
            Window w = window(m, c, 3, 7);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PredictorStage.rolloutLoss(model, ps, w.visual, w.proprio, w.actions, 3, 1f, false));
            assertTrue(e.getMessage().contains("needs 4 frames"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new PredictorStage(model,
                    TrainLoopResumeTest.episodes(), 4, 0f, 1f, 1, 0, 1f));
            assertThrows(IllegalArgumentException.class, () -> new PredictorStage(model,
                    TrainLoopResumeTest.episodes(), 4, 0f, 1f, 1, 2, Float.NaN));
        }
    }

    private static float max(float[] a) {
        float mx = 0;
        for (float f : a) {
            mx = Math.max(mx, Math.abs(f));
        }
        return mx;
    }
}
