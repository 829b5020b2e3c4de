package dev.qwm.planning.oracle;

import dev.qwm.env.pusht.PushTEnvironment;
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
import dev.qwm.planning.mpc.CemStepMetrics;
import dev.qwm.planning.mpc.EpisodeSpec;
import dev.qwm.planning.mpc.PlanningListener;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.planning.onnx.TestBundles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrueDynamicsWorldModelTest {

    @Test
    void scoresAreTheObjectiveOnEncodedSimulatedFinalFrames(@TempDir Path dir) {
        ModelBundle bundle = TestBundles.tinyWall(dir, 1, 3);
        int size = TestBundles.tinyImageSize();
        double[] start = {30, 40};
        try (OnnxWorldModel learned = OnnxWorldModel.open(bundle, SessionConfig.singleThreaded());
             TrueDynamicsWorldModel model = new TrueDynamicsWorldModel(
                     OnnxWorldModel.open(bundle, SessionConfig.singleThreaded()), WallEnvironment::new)) {
            WallEnvironment env = new WallEnvironment();
            env.reset(start);
            Latent s = model.encode(Observation.of(env, size));
            env.reset(new double[] {50, 20});
            Latent goal = model.encode(Observation.of(env, size));
            int h = 2;
            int a = model.actionDim();
            float[] data = new float[3 * h * a];
            SplittableRandom r = new SplittableRandom(1);
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) r.nextGaussian();
            }
            ActionBatch batch = new ActionBatch(3, h, a, data);
            Objective objective = new Objective(1.0);
            double[] scores = model.score(s, goal, batch, objective);

            Latent learnedGoal = learned.encode(Observation.of(env, size));
            for (int b = 0; b < 3; b++) {
                env.reset(start);
                for (int t = 0; t < h; t++) {
                    for (double[] step : model.actionNormalization().toEnvActions(data, batch.offset(b, t))) {
                        env.step(step);
                    }
                }
                double expected = objective.loss(learned.encode(Observation.of(env, size)), learnedGoal);
                assertEquals(expected, scores[b], 1e-6, "candidate " + b);
            }
            assertTrue(model.reference().startsWith("true-dynamics:"), model.reference());
        }
    }

    @Test
    void imaginationIsReality(@TempDir Path dir) {
        ModelBundle bundle = TestBundles.tinyWall(dir, 1, 4);
        EpisodeSource wall = EpisodeSources.wall();
        List<CemStepMetrics> steps = new ArrayList<>();
        PlanningListener recorder = new PlanningListener() {
            @Override
            public void onCemStep(EpisodeSpec episode, CemStepMetrics m) {
                steps.add(m);
            }
        };
        EvaluationReport r = Evaluation.run(wall, () -> new TrueDynamicsWorldModel(
                        OnnxWorldModel.open(bundle, SessionConfig.singleThreaded()), wall::newEnvironment),
                new CemPlanner(), PlannerBudget.dinoWm("wall").withSamples(40).withTopK(5).withOptSteps(2).withMaxIter(1),
                EvaluationSettings.evaluation(2), recorder);
        assertEquals(2, r.episodes());
        assertEquals(4, steps.size());
        // the executed mean plan lands exactly where the simulator-backed imagination put it
        assertTrue(steps.stream().allMatch(m -> m.visualDivergence() < 1e-4 && m.proprioDivergence() < 1e-5),
                "imagined and real final latents differ");
    }

    @Test
    void aBundleOfAnotherEnvironmentIsRefusedByName(@TempDir Path dir) {
        ModelBundle bundle = TestBundles.tinyWall(dir, 1, 5);
        OnnxWorldModel learned = OnnxWorldModel.open(bundle, SessionConfig.singleThreaded());
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new TrueDynamicsWorldModel(learned, PushTEnvironment::new));
            assertTrue(e.getMessage().contains("wall model") && e.getMessage().contains("pusht"), e.getMessage());
        } finally {
            learned.close();
        }
    }
}
