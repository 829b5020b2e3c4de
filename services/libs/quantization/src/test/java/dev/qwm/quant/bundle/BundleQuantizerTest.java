package dev.qwm.quant.bundle;

import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Objective;
import dev.qwm.planning.Observation;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.eval.EpisodeSources;
import dev.qwm.planning.mpc.PlanningListener;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.planning.onnx.PredictorCallBudget;
import dev.qwm.quant.ModuleQuantizer;
import dev.qwm.quant.calib.ActivationCollector;
import dev.qwm.quant.manifest.ModuleReport;
import dev.qwm.quant.recipe.CalibrationSettings;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.RecipeException;
import dev.qwm.quant.recipe.WorldModelModule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BundleQuantizerTest {

    static Observation observation(ModelBundle b, long seed) {
        Random r = new Random(seed);
        int s = b.manifest().imageSize();
        byte[] img = new byte[s * s * 3];
        r.nextBytes(img);
        return new Observation(img, s, new double[]{r.nextGaussian() * 10 + 30, r.nextGaussian() * 10 + 30}, null);
    }

    static ActionBatch actions(int batch, int horizon, int dim, long seed) {
        Random r = new Random(seed);
        float[] a = new float[batch * horizon * dim];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return new ActionBatch(batch, horizon, dim, a);
    }

    @Test
    void calibratingModelPlansExactlyLikeThePlanningBackend(@TempDir Path dir) {
        ModelBundle b = RandomBundles.wall(dir.resolve("fp"), 1);
        try (OnnxWorldModel ref = OnnxWorldModel.open(b, SessionConfig.singleThreaded());
             CalibratingWorldModel cal = new CalibratingWorldModel(b, SessionConfig.singleThreaded(), null, null)) {
            Latent start = ref.encode(observation(b, 1));
            Latent goal = ref.encode(observation(b, 2));
            Latent calStart = cal.encode(observation(b, 1));
            assertArrayEquals(start.visual(), calStart.visual(), 1e-6f);
            assertArrayEquals(start.proprio(), calStart.proprio(), 1e-6f);
            ActionBatch a = actions(7, 5, b.manifest().actionDim(), 3);
            Objective o = PlannerBudget.dinoWm("wall").objective();
            assertArrayEquals(ref.score(start, goal, a, o), cal.score(start, goal, a, o), 1e-6);
        }
    }

    @Test
    void calibratingModelInChunksGivesTheSameOutputsAndOnlyChunksOverBudget(@TempDir Path dir) {
        ModelBundle b = RandomBundles.wall(dir.resolve("fp"), 4);
        Recipe recipe = Presets.recipe("w8a8", "predictor");
        ModuleQuantizer.Prepared prepared = ModuleQuantizer.prepare(
                dev.qwm.onnx.graph.OnnxModels.read(b.componentPath(BundleManifest.PREDICTOR)), WorldModelModule.PREDICTOR,
                recipe.modules().get(WorldModelModule.PREDICTOR));
        SessionConfig ort = SessionConfig.singleThreaded();
        ActionBatch a = actions(7, 4, b.manifest().actionDim(), 3);
        Objective o = PlannerBudget.dinoWm("wall").objective();
        try (ActivationCollector whole = prepared.newCollector(CalibrationSettings.DEFAULTS, ort);
             ActivationCollector split = prepared.newCollector(CalibrationSettings.DEFAULTS, ort);
             CalibratingWorldModel one = new CalibratingWorldModel(b, ort, null, whole, PredictorCallBudget.unbounded());
             CalibratingWorldModel chunked = new CalibratingWorldModel(b, ort, null, split, new PredictorCallBudget(1));
             CalibratingWorldModel byDefault = new CalibratingWorldModel(b, ort, null, null)) {
            Latent start = one.encode(observation(b, 1));
            Latent goal = one.encode(observation(b, 2));
            double[] scores = one.score(start, goal, a, o);
            assertArrayEquals(scores, chunked.score(start, goal, a, o), 0.0, "chunks of one candidate, bit for bit");
            assertArrayEquals(scores, byDefault.score(start, goal, a, o), 0.0);
            assertEquals(4, whole.batches(), "one observed call per step");
            assertEquals(4 * 7, split.batches(), "one observed call per candidate and step");
        }
    }

    @Test
    void weightOnlyPresetNeedsNoCalibrationAndKeepsOtherComponents(@TempDir Path dir) throws Exception {
        ModelBundle fp = RandomBundles.wall(dir.resolve("fp"), 2);
        Recipe recipe = Presets.recipe("w4a16-g128", "predictor");
        BundleQuantizer.Result r = BundleQuantizer.quantize(fp, recipe, null, dir.resolve("q"), ModuleQuantizer.Options.defaults());
        ModelBundle q = ModelBundle.read(dir.resolve("q"));
        for (String c : List.of(BundleManifest.VISUAL_ENCODER, BundleManifest.PROPRIO_ENCODER, BundleManifest.ACTION_ENCODER)) {
            assertEquals(fp.manifest().components().get(c).sha256(), q.manifest().components().get(c).sha256(), c);
        }
        assertNotEquals(fp.manifest().components().get(BundleManifest.PREDICTOR).sha256(),
                q.manifest().components().get(BundleManifest.PREDICTOR).sha256());
        ModuleReport pred = r.manifest().modules().get(0);
        assertEquals(8, pred.layers().size()); // 2 blocks × (qkv, out, fc1, fc2)
        assertTrue(pred.weightBytesAfter() <= 0.2 * pred.weightBytesBefore(),
                "predictor weights " + pred.weightBytesAfter() + " vs " + pred.weightBytesBefore());
        // the provenance: the manifest and the source's provenance, typed, under camelCase keys with its kind named
        QuantizedProvenance provenance = QuantizedProvenance.of(q.manifest()).orElseThrow();
        assertEquals(r.manifest(), provenance.quantization());
        assertEquals(fp.manifest().provenance(), provenance.sourceProvenance());
        List<String> keys = new java.util.ArrayList<>();
        q.manifest().provenance().fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("kind", "quantization", "sourceProvenance"), keys);
        assertTrue(Files.readString(dir.resolve("q").resolve(BundleQuantizer.MANIFEST_FILE)).contains("\"format\" : \"qwm-quantization/3\""));
        // the planning backend loads the quantized bundle; one predictor step stays close to the float one
        // (random weights: errors compound chaotically over longer rollouts)
        try (OnnxWorldModel a = OnnxWorldModel.open(fp, SessionConfig.singleThreaded());
             OnnxWorldModel b = OnnxWorldModel.open(q, SessionConfig.singleThreaded())) {
            Latent start = a.encode(observation(fp, 5));
            ActionBatch acts = actions(4, 1, fp.manifest().actionDim(), 6);
            Latent[] ya = a.rollout(start, acts);
            Latent[] yb = b.rollout(start, acts);
            double err = 0;
            double sig = 0;
            for (int i = 0; i < ya.length; i++) {
                for (int k = 0; k < ya[i].visual().length; k++) {
                    double d = ya[i].visual()[k] - yb[i].visual()[k];
                    err += d * d;
                    sig += ya[i].visual()[k] * ya[i].visual()[k];
                }
            }
            assertTrue(err < 0.15 * 0.15 * sig, "4-bit one-step relative error " + Math.sqrt(err / sig));
        }
    }

    @Test
    void calibrationEpisodesDrawingAnotherFrameStyleAreRefusedBeforeAnyWork(@TempDir Path dir) throws Exception {
        ModelBundle qwm = RandomBundles.wall(dir.resolve("fp"), 3);
        java.nio.file.Path json = qwm.directory().resolve(ModelBundle.MANIFEST_FILE);
        java.nio.file.Files.writeString(json, java.nio.file.Files.readString(json)
                .replace("\"frameStyle\" : \"qwm\"", "\"frameStyle\" : \"dinowm\""));
        ModelBundle dinowm = ModelBundle.read(qwm.directory());
        Recipe recipe = Presets.recipe("w8a8", List.of(WorldModelModule.PREDICTOR), QuantMethod.RTN);
        PlannerBudget small = PlannerBudget.dinoWm("wall").withTopK(5).withSamples(20).withOptSteps(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BundleQuantizer.quantize(dinowm,
                recipe, new PlanningCalibration(EpisodeSources.wall(), small, PlanningListener.NONE), dir.resolve("q"),
                ModuleQuantizer.Options.defaults()));
        assertTrue(e.getMessage().contains("reads dinowm frames, the calibration episodes draw qwm frames"),
                e.getMessage());
        assertTrue(!java.nio.file.Files.exists(dir.resolve("q")), "nothing written");
    }

    @Test
    void dataAwareRecipeCalibratesOnFpPlanningEpisodesForBothModules(@TempDir Path dir) {
        ModelBundle fp = RandomBundles.wall(dir.resolve("fp"), 3);
        Recipe preset = Presets.recipe("w8a8", List.of(WorldModelModule.ENCODER, WorldModelModule.PREDICTOR), QuantMethod.SMOOTHQUANT);
        Recipe recipe = new Recipe(preset.name(), preset.modules(),
                new CalibrationSettings(2, 1, null, null, null, 512, 64, 4, null));
        assertThrows(RecipeException.class, () -> BundleQuantizer.quantize(fp, recipe, null, dir.resolve("x"), ModuleQuantizer.Options.defaults()));
        PlannerBudget small = PlannerBudget.dinoWm("wall").withTopK(5).withSamples(20).withOptSteps(2);
        PlanningCalibration calibration = new PlanningCalibration(EpisodeSources.wall(), small, PlanningListener.NONE);
        BundleQuantizer.Result r = BundleQuantizer.quantize(fp, recipe, calibration, dir.resolve("q"), ModuleQuantizer.Options.defaults());
        // 2 episodes × 1 MPC iteration × 2 CEM steps × 5 predictor calls, plus encoder calls per plan
        assertTrue(r.manifest().calibrationBatches() >= 2 * 2 * 5, "batches " + r.manifest().calibrationBatches());
        assertEquals(64, r.manifest().calibrationFingerprint().length());
        assertEquals(2, r.manifest().modules().size());
        for (ModuleReport m : r.manifest().modules()) {
            assertTrue(m.groups().stream().allMatch(g -> g.applied()), m.groups().toString());
            assertEquals(0, m.unfusedDequantize());
            m.layers().forEach(l -> assertTrue(l.outputSqnrDb() != null && l.outputSqnrDb() > 15, l.toString()));
        }
        try (OnnxWorldModel q = OnnxWorldModel.open(r.bundle(), SessionConfig.singleThreaded())) {
            Latent start = q.encode(observation(fp, 9));
            assertEquals(fp.manifest().numPatches() * fp.manifest().latentDim(), start.visual().length);
        }
    }
}
