package dev.qwm.quant.bundle;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.runtime.CpuFeatures;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.eval.EpisodeSources;
import dev.qwm.planning.mpc.PlanningListener;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.quant.ModuleQuantizer;
import dev.qwm.quant.manifest.LayerReport;
import dev.qwm.quant.manifest.ModuleReport;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.AttentionProducts;
import dev.qwm.quant.recipe.CalibrationSettings;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.Recipe;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The recipe alone fixes what a quantized model computes: the shipped Wall predictor quantized under an AVX2-only
 * and an AVX-512 VNNI CPU profile has the same numerics in both manifests, the same files (sha256) and the same
 * outputs on the same inputs; kernel variants (u8×s8 against u8×u8 for 8-bit × 8-bit) are chosen where it loads. A16 is float activations on both; int8
 * attention products are u8×u8 on both.
 */
@Tag("slow")
class CpuProfileNumericsTest {

    static final Path WALL = Path.of("../../../models/wall");

    @Test
    void recipeNumericsAndOutputsDoNotDependOnTheCpuProfile(@TempDir Path dir) {
        ModelBundle fp = ModelBundle.read(WALL);
        Recipe w4a8 = Presets.recipe("w4a8", "predictor");
        List<Recipe> recipes = List.of(Presets.recipe("w3a16", "predictor"), Presets.recipe("w4a16-g128", "predictor"),
                small(Presets.recipe("w8a8", "predictor")),
                small(Presets.withAttention(Presets.recipe("w8a8", "predictor"), AttentionProducts.INT8)),
                Presets.withActivationGranularity(w4a8, ActivationSpec.Granularity.TOKEN),
                Presets.recipe("w4a8-g128-kernel", "predictor"));
        for (Recipe recipe : recipes) {
            BundleQuantizer.Result avx2 = quantize(fp, recipe, CpuFeatures.AVX2, dir.resolve(recipe.name() + "-avx2"));
            BundleQuantizer.Result vnni = quantize(fp, recipe, CpuFeatures.AVX512_VNNI, dir.resolve(recipe.name() + "-vnni"));

            assertEquals(avx2.manifest().numerics(), vnni.manifest().numerics(), recipe.name());
            assertEquals("avx2", avx2.manifest().ranOn().cpuClass());
            assertEquals("avx512-vnni", vnni.manifest().ranOn().cpuClass());
            ModuleReport module = avx2.manifest().modules().get(0);
            boolean floatActivations = module.layers().stream().allMatch(l -> l.activations().equals("A16"));
            boolean inKernel = recipe.name().contains("kernel");
            for (BundleQuantizer.Result r : List.of(avx2, vnni)) {
                for (LayerReport l : r.manifest().modules().get(0).layers()) {
                    if (floatActivations) {
                        assertEquals("MatMulNBits(accuracy_level=0)", l.kernel().kernel(), recipe.name() + " " + l.layer());
                    }
                }
                int level4 = accuracyLevel4Nodes(r.bundle());
                assertEquals(inKernel, level4 > 0, recipe.name() + ": MatMulNBits at accuracy_level 4 only when named");
            }
            if (recipe.name().startsWith("w8a8")) {
                // stored int8 on both: the load, not the quantizer, runs them u8×u8 where u8×s8 is not exact
                assertEquals("u8s8", avx2.manifest().modules().get(0).int8Gemm());
                assertEquals("u8s8", vnni.manifest().modules().get(0).int8Gemm());
            }
            // the same file on both profiles, so a study resumed on another CPU re-creates the artifacts it logged
            assertEquals(sha(avx2.bundle()), sha(vnni.bundle()), recipe.name() + ": the same graph on both profiles");
            if (recipe.name().endsWith("-attn-int8")) {
                // attention's products are u8×u8 on every profile: the same codes, scales and zero points
                assertEquals(2, avx2.manifest().modules().get(0).attention().size());
                assertEquals(avx2.manifest().modules().get(0).attention(), vnni.manifest().modules().get(0).attention());
            }
            double rel = relativeDifference(avx2.bundle(), vnni.bundle());
            assertTrue(rel <= 1e-5, recipe.name() + ": outputs differ by " + rel + " relative");
        }
    }

    private static Recipe small(Recipe r) {
        return new Recipe(r.name(), r.modules(), new CalibrationSettings(2, 1, null, null, null, 512, 64, 4, null));
    }

    private static BundleQuantizer.Result quantize(ModelBundle fp, Recipe recipe, CpuFeatures cpu, Path out) {
        PlanningCalibration calibration = recipe.needsCalibration()
                ? new PlanningCalibration(EpisodeSources.wall(), PlannerBudget.dinoWm("wall").withTopK(5).withSamples(20).withOptSteps(2),
                PlanningListener.NONE)
                : null;
        return BundleQuantizer.quantize(fp, recipe, calibration, out, ModuleQuantizer.Options.defaults().withCpu(cpu));
    }

    private static String sha(ModelBundle b) {
        return b.manifest().components().get(BundleManifest.PREDICTOR).sha256();
    }

    private static int accuracyLevel4Nodes(ModelBundle b) {
        ModelProto m = OnnxModels.read(b.componentPath(BundleManifest.PREDICTOR));
        int n = 0;
        for (NodeProto node : m.getGraph().getNodeList()) {
            for (AttributeProto a : node.getAttributeList()) {
                if (a.getName().equals("accuracy_level") && a.getI() == 4) {
                    n++;
                }
            }
        }
        return n;
    }

    /** max |a − b| / max |a| over a 5-step rollout of 8 candidates from the same start. */
    private static double relativeDifference(ModelBundle a, ModelBundle b) {
        try (OnnxWorldModel ma = OnnxWorldModel.open(a, SessionConfig.singleThreaded());
             OnnxWorldModel mb = OnnxWorldModel.open(b, SessionConfig.singleThreaded())) {
            Latent start = ma.encode(BundleQuantizerTest.observation(a, 11));
            ActionBatch acts = BundleQuantizerTest.actions(8, 5, a.manifest().actionDim(), 12);
            Latent[] ya = ma.rollout(start, acts);
            Latent[] yb = mb.rollout(start, acts);
            double diff = 0;
            double mag = 0;
            for (int i = 0; i < ya.length; i++) {
                for (int k = 0; k < ya[i].visual().length; k++) {
                    diff = Math.max(diff, Math.abs(ya[i].visual()[k] - yb[i].visual()[k]));
                    mag = Math.max(mag, Math.abs(ya[i].visual()[k]));
                }
            }
            assertTrue(mag > 0 && Files.exists(a.componentPath(BundleManifest.PREDICTOR)));
            return diff / mag;
        }
    }
}
