package dev.qwm.quant.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.kernel.KernelChoice;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.eval.EpisodeSources;
import dev.qwm.planning.mpc.PlanningListener;
import dev.qwm.quant.ModuleQuantizer;
import dev.qwm.quant.Progress;
import dev.qwm.quant.bundle.BundleQuantizer;
import dev.qwm.quant.bundle.PlanningCalibration;
import dev.qwm.quant.bundle.RandomBundles;
import dev.qwm.quant.recipe.CalibrationSettings;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.training.model.WorldModelConfig;
import dev.qwm.training.train.CostModel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BundleBenchmarkTest {

    @Tag("slow")
    @Test
    void fpW8a8AndW4BundlesSideBySide(@TempDir Path dir) throws Exception {
        ModelBundle fp = RandomBundles.wall(dir.resolve("fp"), 3);
        Recipe preset = Presets.recipe("w8a8", "predictor");
        Recipe w8a8Recipe = new Recipe(preset.name(), preset.modules(),
                new CalibrationSettings(2, 1, null, null, null, 512, 64, 4, null));
        PlanningCalibration calibration = new PlanningCalibration(EpisodeSources.wall(),
                PlannerBudget.dinoWm("wall").withTopK(5).withSamples(20).withOptSteps(2), PlanningListener.NONE);
        ModelBundle w8a8 = BundleQuantizer.quantize(fp, w8a8Recipe, calibration, dir.resolve("w8a8"),
                ModuleQuantizer.Options.defaults()).bundle();
        BundleQuantizer.Result w4Result = BundleQuantizer.quantize(fp, Presets.recipe("w4a16-g128", "predictor"), null,
                dir.resolve("w4"), ModuleQuantizer.Options.defaults());
        ModelBundle w4 = w4Result.bundle();
        // the manifest records the load-time kernel choice of every weight-only layer, both variants timed
        var choices = w4Result.manifest().kernelChoices().get(BundleManifest.PREDICTOR);
        // one per MatMulNBits layer (a q, k, v projection run as a float MatMul adds a split-product choice)
        assertEquals(8, choices.layers().stream().filter(l -> l.stored().equals(KernelChoice.MATMUL_NBITS)).count());
        assertTrue(choices.layers().stream().allMatch(l -> l.cpuMs().size() == 2), choices.toString());
        assertTrue(w4Result.manifest().toJson().contains("\"kernelChoices\""));

        BundleBenchmark.Settings settings = new BundleBenchmark.Settings(16, 2, 2, 1, List.of(2, 1, 1), 1);
        assertEquals(List.of(1, 2), settings.threads());
        BundleBenchmark.Report r = BundleBenchmark.run(List.of(fp, w8a8, w4), "wall", settings, Progress.NONE);
        BundleBenchmark.BundleResult f = r.bundles().get(0);
        BundleBenchmark.BundleResult q8 = r.bundles().get(1);
        BundleBenchmark.BundleResult q4 = r.bundles().get(2);

        // FLOP from the graphs: the training cost model's count, and the same for the quantized forms
        double expected = CostModel.cemStepGflop(WorldModelConfig.small(2, 1), 16, 2);
        assertEquals(expected, f.gflop(), expected * 1e-12);
        assertEquals(f.gflop(), q8.gflop(), expected * 1e-12);
        assertEquals(f.gflop(), q4.gflop(), expected * 1e-12);

        // kernels ORT really runs in each predictor
        var fpKernels = f.component(BundleManifest.PREDICTOR).kernels();
        assertFalse(fpKernels.keySet().stream().anyMatch(k -> k.contains("Integer") || k.contains("NBits")), fpKernels.toString());
        var q8Kernels = q8.component(BundleManifest.PREDICTOR).kernels();
        assertTrue(q8Kernels.getOrDefault("MatMulIntegerToFloat", 0) >= 8, q8Kernels.toString());
        assertEquals(0, q8.component(BundleManifest.PREDICTOR).unfusedDequantize());
        // 8 weight-only layers: as MatMulNBits, or as bit-identical float MatMuls where measured faster here
        var q4Kernels = q4.component(BundleManifest.PREDICTOR).kernels();
        int expanded = q4.component(BundleManifest.PREDICTOR).expandedAtLoad();
        assertEquals(8 - expanded, q4Kernels.entrySet().stream().filter(e -> e.getKey().startsWith("MatMulNBits(4b,acc0)"))
                .mapToInt(java.util.Map.Entry::getValue).sum(), q4Kernels.toString());
        assertEquals(0, f.component(BundleManifest.PREDICTOR).expandedAtLoad());
        assertTrue(BundleBenchmark.describeKernels(q8Kernels).contains("MatMulIntegerToFloat×"));

        // bytes: the encoder is shared by hash; 4-bit predictor weights within the 0.2x
        BundleBenchmark.Component enc = q4.component(BundleManifest.VISUAL_ENCODER);
        assertEquals(f.component(BundleManifest.VISUAL_ENCODER).sha256(), enc.sha256());
        assertEquals(1.0, enc.ratio());
        double w4Ratio = q4.component(BundleManifest.PREDICTOR).weightRatio();
        assertTrue(w4Ratio > 0.1 && w4Ratio <= 0.2, "W4A16-g128 predictor weights " + w4Ratio + "x fp32");
        double w8Ratio = q8.component(BundleManifest.PREDICTOR).weightRatio();
        assertTrue(w8Ratio > 0.25 && w8Ratio < 0.3, "W8A8 predictor weights " + w8Ratio + "x fp32");

        // timings: every bundle, both thread settings, ratios to the first
        for (BundleBenchmark.BundleResult b : r.bundles()) {
            assertEquals(2, b.timings().size());
            for (BundleBenchmark.Timing t : b.timings()) {
                assertEquals(2, t.wallMs().length);
                assertTrue(t.minMs() > 0 && t.minMs() <= t.medianMs(), t.toString());
                assertEquals(t.threads() == 1, Double.isFinite(t.minCpuMs()), t.toString());
            }
        }
        assertEquals(1.0, f.timing(1).medianRatio());
        assertEquals(q4.timing(2).medianMs() / f.timing(2).medianMs(), q4.timing(2).medianRatio(), 1e-12);

        // extrapolated to the full 300-candidate step, linearly
        assertEquals(f.timing(1).medianMs() * 300 / 16, f.timing(1).extrapolatedMs(), 1e-9);

        // where a step goes, from ORT's profiler: the products of each bundle are its kernels. The shares are ratios of
        // two clocks (ORT's op timings, the step's wall time) and exceeded 1 on a loaded machine (MatMul 1.10 of the
        // step): timings never decide whether a test passes, so only that they were measured is checked here
        for (BundleBenchmark.BundleResult b : r.bundles()) {
            BundleBenchmark.Profile p = b.profile();
            assertEquals(1, p.steps());
            assertTrue(p.productShare() > 0, p.toString());
            assertTrue(p.ortMs() > 0 && p.stepMs() > 0, p.toString());
            assertTrue(p.opShare().containsKey("LayerNormalization"), p.opShare().toString());
        }
        assertEquals(expanded < 8, q4.profile().opMs().containsKey("MatMulNBits"), q4.profile().opMs().toString());
        assertTrue(q8.profile().opMs().containsKey("MatMulIntegerToFloat"), q8.profile().opMs().toString());
        assertFalse(f.profile().opMs().containsKey("MatMulNBits"));

        // JSON shape
        JsonNode json = new ObjectMapper().readTree(r.toJson());
        assertEquals("wall", json.get("environment").asText());
        assertTrue(json.at("/cpu/features/avx2").isBoolean());
        assertTrue(json.at("/cpu/features/avx512_vnni").isBoolean());
        assertEquals(dev.qwm.onnx.runtime.CpuFeatures.current().cpuClass(), json.at("/cpu/cpuClass").asText());
        assertTrue(json.get("onnxRuntime").asText().startsWith("1.29"), json.get("onnxRuntime").asText());
        assertEquals("cpu", json.get("executionProvider").asText());
        assertEquals(16, json.at("/settings/candidates").asInt());
        assertEquals(3, json.get("bundles").size());
        JsonNode b1 = json.get("bundles").get(1);
        assertEquals(q8.gflop(), b1.get("gflop").asDouble(), 1e-15);
        assertTrue(b1.at("/components").isArray());
        assertEquals("predictor", b1.at("/components/1/name").asText()); // components sorted by name
        assertTrue(b1.at("/components/1/kernels/MatMulIntegerToFloat").isInt(), b1.toString());
        assertEquals(2, b1.at("/timings/0/wallMs").size());
        assertTrue(b1.at("/timings/0/medianMs").isNumber());
        assertTrue(b1.at("/profile/opShare/MatMulIntegerToFloat").isNumber(), b1.toString());
    }

    @Test
    void aBundleOfAnotherEnvironmentIsRefusedByName(@TempDir Path dir) {
        ModelBundle fp = RandomBundles.wall(dir.resolve("fp"), 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BundleBenchmark.run(List.of(fp),
                "pusht", BundleBenchmark.Settings.defaults(1), Progress.NONE));
        assertTrue(e.getMessage().contains(fp.directory().toString()) && e.getMessage().contains("wall"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BundleBenchmark.Settings(300, 5, 0, 1, List.of(1)));
    }
}
