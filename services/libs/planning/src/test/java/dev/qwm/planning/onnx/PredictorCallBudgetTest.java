package dev.qwm.planning.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.dinowm.DinoWmImport;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A batch of candidates split into chunks by the predictor call budget rolls out bit for bit as in one call, on the
 * shipped models and on DINO-WM's small export; at the default budget the shipped models are never split.
 */
class PredictorCallBudgetTest {

    static final Path MODELS = Path.of("../../../models").toAbsolutePath().normalize();

    @ParameterizedTest
    @ValueSource(strings = {"wall", "pusht"})
    void theShippedModelsRollOutBitForBitInChunks(String name) {
        ModelBundle bundle = ModelBundle.read(MODELS.resolve(name));
        assertChunkedRolloutIsIdentical(bundle, 11, 3);
    }

    @Test
    void dinoWmsSmallExportRollsOutBitForBitInChunks(@TempDir Path tmp) {
        Path small = MODELS.resolve("dinowm-small");
        ModelBundle bundle = DinoWmImport.importTo(new DinoWmImport.Options(small, "wall", small.resolve("stats.json"),
                null, null, null, null, null), ModelBundle.target(tmp.resolve("bundle"), "--out"));
        PredictorCallBudget.Chunking c = PredictorCallBudget.ofMiB(1).chunking(bundle.manifest(),
                OnnxModels.read(bundle.componentPath(BundleManifest.PREDICTOR)));
        assertEquals(2, c.heads(), "read from the exported attention");
        assertEquals(4L * 2 * 392 * 392, c.bytesPerCandidate(2));
        assertChunkedRolloutIsIdentical(bundle, 7, 2);
    }

    @Test
    void candidatesPerCallFillTheBudgetAndNeverDropBelowOne() {
        PredictorCallBudget.Chunking full = new PredictorCallBudget.Chunking(PredictorCallBudget.ofMiB(512), 196, 16);
        assertEquals(4L * 16 * 588 * 588, full.bytesPerCandidate(3)); // DINO-WM's full size at numHist 3: 22 MB
        assertEquals(24, full.candidatesPerCall(300, 3));
        assertEquals(24, full.candidatesPerCall(24, 3));
        assertEquals(218, full.candidatesPerCall(300, 1));
        assertEquals(64, full.candidatesPerCall(64, 1), "a batch that fits is one call");
        PredictorCallBudget.Chunking tight = new PredictorCallBudget.Chunking(new PredictorCallBudget(1), 196, 16);
        assertEquals(1, tight.candidatesPerCall(300, 3));
        assertThrows(IllegalArgumentException.class, () -> PredictorCallBudget.ofMiB(0));
    }

    @Test
    void theSystemPropertySetsTheBudgetAndABadValueIsRefusedByName() {
        String before = System.getProperty(PredictorCallBudget.PROPERTY);
        try {
            System.setProperty(PredictorCallBudget.PROPERTY, "64");
            assertEquals(64L << 20, PredictorCallBudget.fromSystemProperties().bytes());
            System.setProperty(PredictorCallBudget.PROPERTY, "lots");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    PredictorCallBudget::fromSystemProperties);
            assertTrue(e.getMessage().contains(PredictorCallBudget.PROPERTY) && e.getMessage().contains("lots"),
                    e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(PredictorCallBudget.PROPERTY);
            } else {
                System.setProperty(PredictorCallBudget.PROPERTY, before);
            }
        }
    }

    /**
     * Rolls {@code batch} random candidates out over a horizon longer than the history, once unbounded and once with
     * a budget of {@code perCall} candidates at full history, and requires the same last frames bit for bit.
     */
    static void assertChunkedRolloutIsIdentical(ModelBundle bundle, int batch, int perCall) {
        BundleManifest m = bundle.manifest();
        SplittableRandom r = new SplittableRandom(23);
        float[] visual = new float[m.numPatches() * m.latentDim()];
        float[] proprio = new float[m.proprioEmbDim()];
        for (int i = 0; i < visual.length; i++) {
            visual[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < proprio.length; i++) {
            proprio[i] = (float) r.nextGaussian();
        }
        Latent start = new Latent(visual, proprio);
        int horizon = m.numHist() + 2;
        float[] actions = new float[batch * horizon * m.actionDim()];
        for (int i = 0; i < actions.length; i++) {
            actions[i] = (float) r.nextGaussian();
        }
        ActionBatch a = new ActionBatch(batch, horizon, m.actionDim(), actions);
        SessionConfig config = SessionConfig.ofThreads(2);
        float[] whole;
        try (OnnxDynamics d = OnnxDynamics.open(bundle, config, PredictorCallBudget.unbounded())) {
            whole = d.lastFrames(new Latent[] {start}, new int[] {batch}, a);
            PredictorCallBudget.Chunking c = d.chunking();
            PredictorCallBudget.Chunking byDefault = PredictorCallBudget.ofMiB(PredictorCallBudget.DEFAULT_MIB).chunking(m,
                    OnnxModels.read(bundle.componentPath(BundleManifest.PREDICTOR)));
            int usual = m.numPatches() == 196 ? 32 : 300; // DINO-WM's small export: ImportCommandTest's 32 samples
            assertEquals(usual, byDefault.candidatesPerCall(usual, m.numHist()),
                    "the default budget leaves " + m.name() + "'s usual batch in one call");
            assertEquals(batch, c.candidatesPerCall(batch, m.numHist()));
        }
        try (OnnxDynamics d = OnnxDynamics.open(bundle, config, PredictorCallBudget.unbounded())) {
            long perCandidate = d.chunking().bytesPerCandidate(m.numHist());
            PredictorCallBudget budget = new PredictorCallBudget(perCall * perCandidate + perCandidate / 2);
            try (OnnxDynamics chunked = OnnxDynamics.open(bundle, config, budget)) {
                assertEquals(perCall, chunked.chunking().candidatesPerCall(batch, m.numHist()));
                float[] split = chunked.lastFrames(new Latent[] {start}, new int[] {batch}, a);
                assertArrayEquals(whole, split, m.name() + ": chunks of " + perCall + " vs one call of " + batch);
                assertEquals(horizon, chunked.predictorCalls(), "a chunked step counts as one predictor call");
            }
        }
        assertTrue(whole.length == batch * m.numPatches() * m.tokenDim());
    }
}
