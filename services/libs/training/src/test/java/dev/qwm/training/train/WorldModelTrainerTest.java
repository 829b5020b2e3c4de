package dev.qwm.training.train;

import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.training.data.SyntheticDots;
import dev.qwm.training.model.WorldModelConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole pipeline at toy scale: encoder, predictor, export, open-loop table, reuse of finished stages. */
@Tag("slow")
class WorldModelTrainerTest {

    static WorldModelConfig tiny() {
        return new WorldModelConfig(32, 8, 32, 1, 2, 64, 2, 10, 10, 10, 1, 2, 16, 64, 1, 5);
    }

    static TrainingPlan plan(Path work, Path out) {
        SyntheticDots train = new SyntheticDots(32, 40, 30, 1);
        SyntheticDots val = new SyntheticDots(32, 6, 30, 2);
        return new TrainingPlan("wall", tiny(), train, val, List.of(train),
                new TrainingPlan.EncoderSettings(60, 0, 32, 10, 2e-3f, 0.1f, 40),
                new TrainingPlan.PredictorSettings(250, 0, 32, 2e-3f, 0f, -1, 1f),
                3, work, out);
    }

    @Test
    void trainsExportsAndReusesFinishedStages(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream log = new PrintStream(buf, true, StandardCharsets.UTF_8);
        WorldModelTrainer.Result r = new WorldModelTrainer(log).run(plan(dir.resolve("work"), dir.resolve("bundle")));

        ModelBundle bundle = ModelBundle.read(dir.resolve("bundle"));
        BundleManifest m = bundle.manifest();
        assertEquals("wall", m.environment());
        assertEquals(16, m.numPatches());
        assertEquals(10, m.actionDim());
        assertEquals(250, TrainingProvenance.of(m).orElseThrow().predictor().steps());
        // The predictor beats copying the last frame one step ahead even after a few hundred toy steps.
        assertTrue(r.openLoop().model()[0] < r.openLoop().copyLast()[0], r.openLoop().format());

        // Same settings again: both stages are reused, not retrained, and the exported model is identical.
        buf.reset();
        WorldModelTrainer.Result again = new WorldModelTrainer(log).run(plan(dir.resolve("work"), dir.resolve("bundle2")));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("encoder: already finished"), out);
        assertTrue(out.contains("predictor: already finished"), out);
        for (String c : BundleManifest.REQUIRED_COMPONENTS) {
            assertEquals(bundle.manifest().components().get(c).sha256(), again.bundle().manifest().components().get(c).sha256(), c);
        }
    }

    /**
     * A second run that takes the first bundle's encoder and starts its predictor there, with a rollout loss: the
     * encoder is the bundle's to the byte (no encoder stage), and the manifest records where both came from.
     */
    @Test
    void startsFromABundleWithARolloutLoss(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream log = new PrintStream(buf, true, StandardCharsets.UTF_8);
        TrainingPlan first = plan(dir.resolve("work"), dir.resolve("bundle"));
        ModelBundle bundle = new WorldModelTrainer(log).run(first).bundle();
        TrainingPlan p = new TrainingPlan(first.environment(), first.architecture(), first.train(), first.validation(),
                first.encoderData(), first.encoder(),
                new TrainingPlan.PredictorSettings(40, 0, 32, 5e-4f, 0f, -1, 1f, 3, 1f), 3, dir.resolve("work"),
                dir.resolve("tuned"), dir.resolve("bundle"), dir.resolve("bundle"));
        buf.reset();
        ModelBundle tuned = new WorldModelTrainer(log).run(p).bundle();
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("encoder: the frozen visual encoder of"), out);
        assertTrue(!out.contains("encoder: already finished"), out);
        String enc = BundleManifest.VISUAL_ENCODER;
        assertEquals(bundle.manifest().components().get(enc).sha256(), tuned.manifest().components().get(enc).sha256());
        assertTrue(!bundle.manifest().components().get("predictor").sha256()
                .equals(tuned.manifest().components().get("predictor").sha256()));
        TrainingProvenance prov = TrainingProvenance.of(tuned.manifest()).orElseThrow();
        assertEquals(3, prov.predictor().settings().get("rolloutSteps").asInt());
        assertEquals(dir.resolve("bundle").toString(), prov.predictor().from());
        assertTrue(prov.encoder().key().startsWith("bundle-"));
        // Fine-tuning from a good start stays good: better than copying the last frame.
        assertTrue(prov.openLoop().model()[0] < prov.openLoop().copyLast()[0]);
    }

    /** The checkpoint folder of a run is named by this key: it must stay the same for the same settings. */
    @Test
    void theSettingsKeyIsTheDigestOfTheirJson() {
        assertEquals("015abd7f5cc5", WorldModelTrainer.key(java.util.Map.of("a", 1)));
    }
}
