package dev.qwm.planning.onnx;

import dev.qwm.env.wall.WallEnvironment;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Objective;
import dev.qwm.planning.Observation;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.cem.CemPlanner;
import dev.qwm.planning.eval.EpisodeSource;
import dev.qwm.planning.eval.EpisodeSources;
import dev.qwm.planning.eval.Evaluation;
import dev.qwm.planning.eval.EvaluationReport;
import dev.qwm.planning.eval.EvaluationSettings;
import dev.qwm.planning.mpc.EpisodeResult;
import dev.qwm.planning.mpc.PlanningListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxWorldModelTest {

    static final SessionConfig ONE_THREAD = SessionConfig.singleThreaded();

    /** The raw batch methods (used for open-loop measurements) give what the planner's rollout computes. */
    @Test
    void rawPredictorCallAgreesWithOneStepRollout(@TempDir Path dir) {
        TinyBundle tiny = new TinyBundle(3, 5);
        ModelBundle bundle = tiny.write(dir);
        WallEnvironment wall = new WallEnvironment();
        wall.reset(new double[] {40, 20});
        Observation obs = Observation.of(wall, TinyBundle.IMAGE);
        try (OnnxWorldModel model = OnnxWorldModel.open(bundle, ONE_THREAD)) {
            OnnxDynamics dyn = model.dynamics();
            var m = model.manifest();
            Latent start = model.encode(obs);
            float[] raw = new float[m.proprioDim()];
            for (int i = 0; i < raw.length; i++) {
                raw[i] = (float) obs.proprio()[i];
            }
            float[] pe = dyn.embedProprio(raw, 1, 1);
            for (int i = 0; i < pe.length; i++) {
                assertEquals(start.proprio()[i], pe[i], 1e-6);
            }
            float[] action = new float[m.actionDim()];
            for (int i = 0; i < action.length; i++) {
                action[i] = 0.3f * (i - 4);
            }
            float[] ae = dyn.embedActions(action, 1, 1);
            int n = m.numPatches();
            int d = m.latentDim();
            int e = m.tokenDim();
            float[] z = new float[n * e];
            for (int p = 0; p < n; p++) {
                System.arraycopy(start.visual(), p * d, z, p * e, d);
                System.arraycopy(pe, 0, z, p * e + d, pe.length);
                System.arraycopy(ae, 0, z, p * e + d + pe.length, ae.length);
            }
            float[] pred = dyn.predictTokens(z, 1, 1);
            Latent rolled = model.rollout(start, ActionBatch.single(1, m.actionDim(), action))[0];
            for (int p = 0; p < n; p++) {
                for (int j = 0; j < d; j++) {
                    assertEquals(rolled.visual()[p * d + j], pred[p * e + j], 1e-6);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> dyn.predictTokens(new float[4 * n * e], 1, 4));
            assertThrows(IllegalArgumentException.class, () -> dyn.embedActions(new float[3], 1, 1));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void batchedRolloutMatchesDinoWmRolloutWrittenPlainly(int numHist, @TempDir Path dir) {
        TinyBundle tiny = new TinyBundle(numHist, 11);
        ModelBundle bundle = tiny.write(dir);
        WallEnvironment wall = new WallEnvironment();
        wall.reset(new double[] {20, 40});
        Observation obs = Observation.of(wall, TinyBundle.IMAGE);

        try (OnnxWorldModel model = OnnxWorldModel.open(bundle, ONE_THREAD)) {
            Latent start = model.encode(obs);
            double[] visual = tiny.encodeVisual(obs.image());
            double[] proprio = tiny.encodeProprio(obs.proprio());
            for (int i = 0; i < visual.length; i++) {
                assertEquals(visual[i], start.visual()[i], 1e-5, "visual latent " + i);
            }
            for (int i = 0; i < proprio.length; i++) {
                assertEquals(proprio[i], start.proprio()[i], 1e-5, "proprio embedding " + i);
            }

            int batch = 7;
            int horizon = 5;
            float[] data = new float[batch * horizon * TinyBundle.A];
            SplittableRandom r = new SplittableRandom(3);
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) r.nextGaussian();
            }
            ActionBatch actions = new ActionBatch(batch, horizon, TinyBundle.A, data);
            long calls = model.predictorCalls();
            Latent[] last = model.rollout(start, actions);
            assertEquals(horizon, model.predictorCalls() - calls, "one batched predictor call per step");

            Objective objective = new Objective(1.0);
            Latent goal = new Latent(new float[TinyBundle.N * TinyBundle.D], new float[TinyBundle.PE]);
            double[] scores = model.score(start, goal, actions, objective);
            for (int b = 0; b < batch; b++) {
                float[] candidate = new float[horizon * TinyBundle.A];
                System.arraycopy(data, b * candidate.length, candidate, 0, candidate.length);
                double[][] expected = tiny.rolloutLastFrame(visual, proprio, candidate, horizon);
                for (int n = 0; n < TinyBundle.N; n++) {
                    for (int d = 0; d < TinyBundle.D; d++) {
                        assertEquals(expected[n][d], last[b].visual()[n * TinyBundle.D + d], 1e-4,
                                "candidate " + b + " patch " + n + " dim " + d);
                    }
                }
                for (int i = 0; i < TinyBundle.PE; i++) {
                    assertEquals(expected[0][TinyBundle.D + i], last[b].proprio()[i], 1e-4, "proprio emb " + i);
                }
                assertEquals(objective.loss(last[b], goal), scores[b], 1e-6, "score of candidate " + b);
            }
        }
    }

    @Test
    void aTinyOrtModelPlansWallEpisodes(@TempDir Path dir) {
        ModelBundle bundle = new TinyBundle(1, 5).write(dir);
        EpisodeSource wall = EpisodeSources.wall();
        PlannerBudget budget = PlannerBudget.dinoWm("wall").withMaxIter(2).withOptSteps(3);
        EvaluationReport report = Evaluation.run(wall, () -> OnnxWorldModel.open(bundle, ONE_THREAD),
                new CemPlanner(), budget, EvaluationSettings.evaluation(2), PlanningListener.NONE);
        assertEquals(2, report.episodes());
        for (EpisodeResult r : report.results()) {
            assertEquals(bundle.reference(), r.modelReference());
            assertTrue(r.mpcIterations() >= 1 && r.mpcIterations() <= 2);
            assertTrue(Double.isFinite(r.finalBestLoss()) && r.finalBestLoss() >= 0);
            assertTrue(r.cemStepMetrics().stream().allMatch(m -> Double.isFinite(m.visualDivergence())));
        }
        assertTrue(report.msPerCemStep() > 0);
    }

    @Test
    void wrongInputsAreRefusedWithTheirShapes(@TempDir Path dir) {
        ModelBundle bundle = new TinyBundle(1, 5).write(dir);
        try (OnnxWorldModel model = OnnxWorldModel.open(bundle, ONE_THREAD)) {
            WallEnvironment wall = new WallEnvironment();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.encode(Observation.of(wall, 32)));
            assertTrue(e.getMessage().contains("16x16"), e.getMessage());
            Latent start = model.encode(Observation.of(wall, 16));
            assertThrows(IllegalArgumentException.class,
                    () -> model.rollout(start, new ActionBatch(1, 5, 4, new float[20])));
        }
    }
}
