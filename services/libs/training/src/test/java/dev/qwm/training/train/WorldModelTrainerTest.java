package dev.qwm.training.train;

import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.training.data.SyntheticDots;
import dev.qwm.training.model.WorldModelConfig;
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
        assertEquals("training", m.provenance().get("kind").asText());
        assertEquals(250, m.provenance().get("predictor").get("steps").asLong());
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
}
