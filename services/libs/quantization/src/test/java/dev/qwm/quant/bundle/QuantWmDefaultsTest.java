package dev.qwm.quant.bundle;

import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.quant.ModuleQuantizer;
import dev.qwm.quant.manifest.LayerReport;
import dev.qwm.quant.manifest.ModuleReport;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.LayerRule;
import dev.qwm.quant.recipe.ModuleRecipe;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.RecipeIo;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.recipe.WorldModelModule;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where QuantWM's method is the default: on the shipped Wall model. */
class QuantWmDefaultsTest {

    static final Path WALL = CpuProfileNumericsTest.WALL;
    static final String PATCH_EMBED = "patch_embed/MatMul";

    @Tag("slow")
    @Test
    void encoderPatchEmbeddingStaysFloatUnlessARuleQuantizesIt(@TempDir Path dir) {
        ModelBundle fp = ModelBundle.read(WALL);
        Recipe w4 = Presets.recipe("w4a16", "encoder");
        assertEquals(w4, RecipeIo.fromYaml(RecipeIo.toYaml(w4)), "the default rule is written once and read back once");
        ModuleReport encoder = quantize(fp, w4, dir.resolve("default"));
        assertTrue(encoder.floatLayers().contains(PATCH_EMBED), encoder.floatLayers().toString());
        assertTrue(encoder.layers().stream().noneMatch(l -> l.layer().equals(PATCH_EMBED)));
        assertTrue(encoder.layers().size() >= 4, "the blocks are quantized");

        for (LayerRule rule : List.of(new LayerRule("patch_embed*", null, null, null, false, null),
                new LayerRule("patch_embed*", null, WeightSpec.perChannel(8), null, null, null))) {
            Recipe r = new Recipe("w4-patch", Map.of(WorldModelModule.ENCODER, new ModuleRecipe(QuantMethod.RTN,
                    WeightSpec.perChannel(4), ActivationSpec.FLOAT, null, List.of(rule))), null);
            ModuleReport m = quantize(fp, r, dir.resolve("rule-" + rule.skip()));
            assertFalse(m.floatLayers().contains(PATCH_EMBED), rule.toString());
            LayerReport patch = m.layers().stream().filter(l -> l.layer().equals(PATCH_EMBED)).findFirst().orElseThrow();
            assertEquals(rule.weights() == null ? "W4" : "W8", patch.weights());
        }
    }

    @Test
    void perTokenAndInKernelActivationsNeedNoCalibration(@TempDir Path dir) {
        ModelBundle fp = ModelBundle.read(WALL);
        Recipe token = Presets.withActivationGranularity(Presets.recipe("w8a8", "predictor"), ActivationSpec.Granularity.TOKEN);
        assertFalse(token.needsCalibration());
        assertFalse(Presets.recipe("w4a8-g128-kernel", "predictor").needsCalibration());
        assertTrue(Presets.recipe("w8a8", "predictor").needsCalibration(), "static ranges come from calibration");
        BundleQuantizer.Result r = BundleQuantizer.quantize(fp, token, null, dir.resolve("q"), ModuleQuantizer.Options.defaults());
        assertEquals("A8-token", r.manifest().modules().get(0).layers().get(0).activations());
        assertEquals(null, r.manifest().calibrationFingerprint());
    }

    @Test
    void groupsPerRowAreCountedAndGroup128OnNarrowLayersIsPerChannel(@TempDir Path dir) {
        ModelBundle fp = ModelBundle.read(WALL);
        ModuleReport g128 = quantize(fp, Presets.recipe("w4a16-g128", "predictor"), dir.resolve("g128"));
        ModuleReport g32 = quantize(fp, Presets.recipe("w3a16-g32", "predictor"), dir.resolve("g32"));
        for (int i = 0; i < g128.layers().size(); i++) {
            LayerReport a = g128.layers().get(i);
            LayerReport b = g32.layers().get(i);
            assertEquals((a.inFeatures() + 127) / 128, a.groupsPerRow(), a.layer());
            assertEquals((b.inFeatures() + 31) / 32, b.groupsPerRow(), b.layer());
            if (a.inFeatures() <= 128) {
                assertTrue(a.groupsDescription().startsWith("1 (per channel: group ≥ width"), a.groupsDescription());
            }
            assertTrue(b.groupsPerRow() >= 2, "g32 groups every layer of the 64–168-wide predictor: " + b.layer());
        }
    }

    private static ModuleReport quantize(ModelBundle fp, Recipe r, Path out) {
        return BundleQuantizer.quantize(fp, r, null, out, ModuleQuantizer.Options.defaults()).manifest().modules().get(0);
    }
}
