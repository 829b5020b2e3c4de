package dev.qwm.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.qwm.env.dataset.Episode;
import dev.qwm.training.model.DjlWorldModel;
import dev.qwm.training.model.Normalization;
import dev.qwm.training.model.WorldModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** The step both training stages take: its metrics in order, and a dry step that changes nothing. */
class AdamStageTest {

    /** Tiny stages (encoder depth 1 so the contrastive stage has a block to train). */
    private static final WorldModelConfig CONFIG = new WorldModelConfig(16, 8, 16, 1, 2, 32, 2, 10, 10, 10, 1, 2, 8,
            32, 2, 5);

    private static AdamStage predictor(DjlWorldModel model, NDManager manager) {
        return new PredictorStage(model, TrainLoopResumeTest.episodes(), 4, 0.01f, 1f, 9, 3, 0.5f);
    }

    private static AdamStage contrastive(DjlWorldModel model, NDManager manager) {
        SplittableRandom r = new SplittableRandom(3);
        List<Episode> episodes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            byte[] frames = new byte[11 * 16 * 16 * 3];
            for (int j = 0; j < frames.length; j++) {
                frames[j] = (byte) r.nextInt(256);
            }
            episodes.add(new Episode(i, "random", 10, 2, 2, 2, new float[22], new float[22], new float[20], frames, 16));
        }
        return new TemporalContrastiveStage(model.encoder(), manager, List.of(episodes), 4, 3, 0.1f, 7);
    }

    /** Three steps, after a dry step or not: their metrics, then every trained weight. */
    private static List<Object> run(BiFunction<DjlWorldModel, NDManager, AdamStage> make, boolean dryFirst) {
        Engine.getInstance().setRandomSeed(5);
        try (NDManager manager = NDManager.newBaseManager()) {
            DjlWorldModel model = DjlWorldModel.create(CONFIG, Normalization.identity(2, 10), manager);
            AdamStage stage = make.apply(model, manager);
            if (dryFirst) {
                stage.dryStep(0);
            }
            List<Object> out = new ArrayList<>();
            for (int step = 0; step < 3; step++) {
                out.add(stage.step(step, 3e-3f));
            }
            for (Parameter p : model.encoder().getParameters().values()) {
                out.add(p.getArray().toFloatArray());
            }
            for (Parameter p : model.predictor().getParameters().values()) {
                out.add(p.getArray().toFloatArray());
            }
            return out;
        }
    }

    private static void assertSameRun(List<Object> expected, List<Object> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            if (expected.get(i) instanceof float[] e) {
                assertArrayEquals(e, (float[]) actual.get(i), "weights " + i);
            } else {
                assertEquals(expected.get(i), actual.get(i), "metrics of step " + i);
            }
        }
    }

    @Test
    void theMetricsComeLossFirstAndGradientNormLast() {
        @SuppressWarnings("unchecked")
        Map<String, Double> p = (Map<String, Double>) run(AdamStageTest::predictor, false).get(0);
        assertEquals(List.of("loss", "visual", "proprio", "last", "gnorm"), List.copyOf(p.keySet()));
        @SuppressWarnings("unchecked")
        Map<String, Double> c = (Map<String, Double>) run(AdamStageTest::contrastive, false).get(0);
        assertEquals(List.of("loss", "acc", "tau", "gnorm"), List.copyOf(c.keySet()));
    }

    /** What --minutes relies on to time a step: the run after a dry step is the run without it, bit for bit. */
    @Test
    void aDryStepChangesNeitherTheWeightsNorTheStepsAfterIt() {
        for (BiFunction<DjlWorldModel, NDManager, AdamStage> make : List.<BiFunction<DjlWorldModel, NDManager,
                AdamStage>>of(AdamStageTest::predictor, AdamStageTest::contrastive)) {
            List<Object> plain = run(make, false);
            assertSameRun(plain, run(make, true));
            // and the steps did train: the third step's metrics are not the first's
            assertNotEquals(plain.get(0), plain.get(2));
        }
    }
}
