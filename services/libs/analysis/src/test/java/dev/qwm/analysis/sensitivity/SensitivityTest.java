package dev.qwm.analysis.sensitivity;

import dev.qwm.quant.recipe.LayerRule;
import dev.qwm.quant.recipe.ModuleRecipe;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.RecipeIo;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.recipe.WorldModelModule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SensitivityTest {

    static Path manifest(String name) throws Exception {
        return Path.of(SensitivityTest.class.getResource("/manifests/" + name).toURI());
    }

    @Test
    void readsTheQuantizersManifests(@TempDir Path dir) throws Exception {
        List<LayerSensitivity> w8 = SensitivityIo.read(manifest("wall-w8a8.json"));
        assertEquals(17, w8.size(), "9 encoder and 8 predictor layers");
        LayerSensitivity first = w8.get(0);
        assertEquals("encoder", first.module());
        assertEquals("patch_embed/MatMul", first.layer());
        assertEquals(8, first.weightBits());
        assertEquals(0, first.groupSize());
        assertEquals("A8-tensor", first.activations());
        assertTrue(first.outputSqnrDb() > 30 && first.weightBytes() > 0, first.toString());

        // a bundle folder whose model.json holds the manifest as provenance.quantization
        Path bundle = dir.resolve("bundle");
        Files.createDirectories(bundle);
        Files.writeString(bundle.resolve("model.json"), "{\"format\":\"qwm-bundle/1\",\"provenance\":{\"quantization\":"
                + Files.readString(manifest("wall-w4-gptq.json")) + "}}");
        List<LayerSensitivity> w4 = SensitivityIo.read(bundle);
        assertEquals(17, w4.size());
        assertEquals(4, w4.get(0).weightBits());

        Files.writeString(dir.resolve("other.json"), "{\"format\":\"qwm-bundle/1\"}");
        var e = assertThrows(IllegalArgumentException.class, () -> SensitivityIo.read(dir.resolve("other.json")));
        assertTrue(e.getMessage().contains("not a quantization manifest"), e.getMessage());
    }

    @Test
    void ranksMostSensitiveFirstAtTheLowestBits() throws Exception {
        List<LayerSensitivity> all = new ArrayList<>(SensitivityIo.read(manifest("wall-w8a8.json")));
        all.addAll(SensitivityIo.read(manifest("wall-w4-gptq.json")));
        SensitivityAnalysis a = new SensitivityAnalysis(all, Optional.empty());
        List<LayerSensitivity> enc = a.ranked().get("encoder");
        assertEquals(9, enc.size());
        assertTrue(enc.stream().allMatch(s -> s.weightBits() == 4));
        for (int i = 1; i < enc.size(); i++) {
            assertTrue(enc.get(i - 1).outputSqnrDb() <= enc.get(i).outputSqnrDb());
        }
        assertEquals(17, a.rankingTable().rows().size());
    }

    @Test
    void promotesTheLayersThatSaveMostNoisePerByteWithinTheBudget() {
        // three 64×64 layers measured at W4-g64 (weight-only): bytes 64·64/2 + 4·64·1 = 2304 each at W4-g64,
        // 64·64 + 4·64 = 4352 at W8 (estimated: not measured). SQNR 10, 20, 30 dB → noise 0.1, 0.01, 0.001 at W4,
        // and 24.08 dB better at W8 (6.02 per bit).
        List<LayerSensitivity> m = List.of(
                new LayerSensitivity("predictor", "a/MatMul", 64, 64, "rtn", 4, 64, "A16", 1, 10, 2304),
                new LayerSensitivity("predictor", "b/MatMul", 64, 64, "rtn", 4, 64, "A16", 1, 20, 2304),
                new LayerSensitivity("encoder", "c*/MatMul", 64, 64, "rtn", 4, 64, "A16", 1, 30, 2304));
        WeightSpec low = WeightSpec.grouped(4, 64);
        WeightSpec high = WeightSpec.perChannel(8);
        assertEquals(4352, MixedPrecisionPlanner.estimateBytes(m.get(0), high));
        assertEquals(2304, MixedPrecisionPlanner.estimateBytes(m.get(0), low));

        // room for one promotion: the noisiest layer (a) goes to W8
        MixedPrecisionPlanner.Suggestion one = MixedPrecisionPlanner.suggest(m, low, high, 3 * 2304 + 2048, QuantMethod.RTN);
        assertEquals(List.of("a/MatMul"), one.promoted().stream().map(MixedPrecisionPlanner.LayerChoice::layer).toList());
        assertEquals(2 * 2304 + 4352, one.bytes());
        assertTrue(one.bytes() <= one.budgetBytes());
        assertEquals(0.1 * Math.pow(10, -2.408) + 0.01 + 0.001, one.noise(), 1e-9);

        // room for two: a then b
        MixedPrecisionPlanner.Suggestion two = MixedPrecisionPlanner.suggest(m, low, high, 3 * 2304 + 2 * 2048, QuantMethod.RTN);
        assertEquals(2, two.promoted().size());

        // the recipe is one the quantizer reads back: defaults at W4-g64, exact-match rules at W8
        Recipe r = RecipeIo.fromYaml(two.yaml());
        assertEquals(r, two.recipe());
        ModuleRecipe pred = r.modules().get(WorldModelModule.PREDICTOR);
        assertEquals(low, pred.weights());
        assertEquals(List.of("a/MatMul", "b/MatMul"), pred.layers().stream().map(LayerRule::match).sorted().toList());
        assertTrue(pred.layers().stream().allMatch(l -> high.equals(l.weights())));
        assertTrue(pred.layers().get(0).matches("a/MatMul") || pred.layers().get(0).matches("b/MatMul"));
        assertEquals(WorldModelModule.ENCODER.defaultRules(), r.modules().get(WorldModelModule.ENCODER).layers(),
                "c was not promoted: only the encoder's default rule");

        // everything fits: the glob character in c's name is matched literally
        MixedPrecisionPlanner.Suggestion all = MixedPrecisionPlanner.suggest(m, low, high, 1 << 20, QuantMethod.RTN);
        LayerRule c = RecipeIo.fromYaml(all.yaml()).modules().get(WorldModelModule.ENCODER).layers().get(1);
        assertTrue(c.match().startsWith("re:"), c.match());
        assertTrue(c.matches("c*/MatMul"));
        assertTrue(!c.matches("cX/MatMul"));

        var e = assertThrows(IllegalArgumentException.class, () -> MixedPrecisionPlanner.suggest(m, low, high, 100, QuantMethod.RTN));
        assertTrue(e.getMessage().contains("6912"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MixedPrecisionPlanner.suggest(m, high, low, 1 << 20, QuantMethod.RTN));
    }
}
