package dev.qwm.quant.bundle;

import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.kernel.KernelChoice;
import dev.qwm.onnx.runtime.CpuFeatures;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.quant.ModuleQuantizer;
import dev.qwm.quant.emit.EmitOptions;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.Recipe;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The load-time kernel choice ({@link KernelChoice}) on the shipped Wall model, weight-only, both modules: a planning
 * rollout (300 candidates × horizon 5) computes the same numbers with the choice on as with the stored kernels, bit
 * for bit, and stays within float rounding of the recipe's reference graph (fake quantization in float); the choices
 * recorded by the quantizer for one CPU profile are measured again for a profile of another class.
 */
@Tag("slow")
class KernelChoiceOnBundlesTest {

    @Test
    void chosenKernelsComputeTheStoredAndTheReferenceNumbersAndAnotherCpuChoosesAgain(@TempDir Path dir) throws Exception {
        ModelBundle fp = ModelBundle.read(CpuProfileNumericsTest.WALL);
        for (String preset : List.of("w4a16-g128", "w3a16")) {
            Recipe recipe = Presets.recipe(preset, "both");
            BundleQuantizer.Result q = BundleQuantizer.quantize(fp, recipe, null, dir.resolve(preset),
                    ModuleQuantizer.Options.defaults().withCpu(CpuFeatures.AVX512_VNNI));
            ModelBundle reference = BundleQuantizer.quantize(fp, recipe, null, dir.resolve(preset + "-reference"),
                    ModuleQuantizer.Options.defaults().withEmit(EmitOptions.FAKE_QUANT)).bundle();

            float[][] chosen = rollout(q.bundle());
            float[][] stored;
            String before = System.getProperty(KernelChoice.MODE_PROPERTY);
            System.setProperty(KernelChoice.MODE_PROPERTY, "off");
            try {
                stored = rollout(q.bundle());
            } finally {
                if (before == null) {
                    System.clearProperty(KernelChoice.MODE_PROPERTY);
                } else {
                    System.setProperty(KernelChoice.MODE_PROPERTY, before);
                }
            }
            for (int t = 0; t < stored.length; t++) {
                assertArrayEquals(stored[t], chosen[t], preset + ": step " + t + " differs with the kernel choice");
            }
            // the recipe's reference graph: float MatMuls on fake-quantized weights; MatMulNBits kept where its
            // block-wise sums are not bit-identical differ from it by float rounding only
            float[][] ref = rollout(reference);
            double diff = 0;
            double mag = 0;
            for (int t = 0; t < ref.length; t++) {
                for (int k = 0; k < ref[t].length; k++) {
                    diff = Math.max(diff, Math.abs(ref[t][k] - chosen[t][k]));
                    mag = Math.max(mag, Math.abs(ref[t][k]));
                }
            }
            assertTrue(mag > 0 && diff / mag <= 1e-5, preset + ": " + diff / mag + " relative to the reference graph");

            // recorded for the quantizing profile; a CPU of another class measures again, the same one reuses it
            KernelChoice.Choices recorded = q.manifest().kernelChoices().get(BundleManifest.PREDICTOR);
            assertEquals("avx512-vnni", recorded.cpuClass());
            // one choice per MatMulNBits layer (a q, k, v projection run as a float MatMul adds a split-product one)
            assertEquals(8, weightOnly(recorded), recorded.toString());
            byte[] bytes = Files.readAllBytes(q.bundle().componentPath(BundleManifest.PREDICTOR));
            assertEquals(recorded.graphSha256(), KernelChoice.graphSha256(bytes));
            var graph = OnnxModels.parse(bytes);
            assertTrue(KernelChoice.choose(graph, recorded.graphSha256(), 1, CpuFeatures.AVX512_VNNI,
                    KernelChoice.defaultCache()).fromCache());
            KernelChoice.Choices moved = KernelChoice.choose(graph, recorded.graphSha256(), 1, CpuFeatures.AVX2,
                    dir.resolve("cache-" + preset));
            assertFalse(moved.fromCache());
            assertEquals("avx2", moved.cpuClass());
            assertEquals(8, weightOnly(moved));
        }
    }

    @Test
    void aW8a8BundleStoredForU8s8ComputesTheNumbersOfOneStoredForU8u8(@TempDir Path dir) {
        // every CPU profile stores full-range int8 weights for u8×s8 (the same file); --int8 u8u8 stores uint8 + 128:
        // the same integers. Loaded here, each runs the storage measured exact (and fastest) on this CPU: on a CPU
        // whose u8×s8 GEMM saturates, the u8s8 bundle's weights are stored u8×u8 at load, so both compute the same
        // numbers
        ModelBundle fp = ModelBundle.read(CpuProfileNumericsTest.WALL);
        Recipe preset = Presets.recipe("w8a8", "predictor");
        Recipe recipe = new Recipe(preset.name(), preset.modules(),
                new dev.qwm.quant.recipe.CalibrationSettings(2, 1, null, null, null, 512, 64, 4, null));
        PlanningCalibration calibration = new PlanningCalibration(dev.qwm.planning.eval.EpisodeSources.wall(),
                dev.qwm.planning.PlannerBudget.dinoWm("wall").withTopK(5).withSamples(20).withOptSteps(2),
                dev.qwm.planning.mpc.PlanningListener.NONE);
        BundleQuantizer.Result vnni = BundleQuantizer.quantize(fp, recipe, calibration, dir.resolve("vnni"),
                ModuleQuantizer.Options.defaults().withCpu(CpuFeatures.AVX512_VNNI));
        BundleQuantizer.Result avx2 = BundleQuantizer.quantize(fp, recipe, calibration, dir.resolve("avx2"),
                ModuleQuantizer.Options.defaults().withCpu(CpuFeatures.AVX2)
                        .withEmit(EmitOptions.DEFAULTS.withInt8Flavor(EmitOptions.Int8Flavor.U8U8)));
        assertEquals("u8s8", vnni.manifest().modules().get(0).int8Gemm());
        assertEquals("u8u8", avx2.manifest().modules().get(0).int8Gemm());
        KernelChoice.Choices recorded = vnni.manifest().kernelChoices().get(BundleManifest.PREDICTOR);
        assertEquals(8, recorded.layers().size(), recorded.toString());
        for (KernelChoice.Layer l : recorded.layers()) {
            assertEquals("u8s8", l.stored());
            assertTrue(l.identical() || l.chosen().equals("u8u8"), l.toString());
        }
        float[][] a = rollout(vnni.bundle());
        float[][] b = rollout(avx2.bundle());
        for (int t = 0; t < a.length; t++) {
            assertArrayEquals(b[t], a[t], "step " + t);
        }
    }

    /** Visual latents of a 5-step rollout of 300 candidates (the planner's batch) from one start. */
    private static float[][] rollout(ModelBundle b) {
        try (OnnxWorldModel m = OnnxWorldModel.open(b, SessionConfig.singleThreaded())) {
            Latent start = m.encode(BundleQuantizerTest.observation(b, 11));
            ActionBatch acts = BundleQuantizerTest.actions(300, 5, b.manifest().actionDim(), 12);
            Latent[] y = m.rollout(start, acts);
            float[][] out = new float[y.length + 1][];
            out[0] = start.visual();
            for (int i = 0; i < y.length; i++) {
                out[i + 1] = y[i].visual();
            }
            return out;
        }
    }

    private static long weightOnly(KernelChoice.Choices c) {
        return c.layers().stream().filter(l -> l.stored().equals(KernelChoice.MATMUL_NBITS)).count();
    }
}
