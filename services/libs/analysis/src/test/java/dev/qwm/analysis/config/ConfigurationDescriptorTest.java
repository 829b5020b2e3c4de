package dev.qwm.analysis.config;

import dev.qwm.analysis.data.ArtifactRecord;
import dev.qwm.analysis.data.ArtifactRef;
import dev.qwm.analysis.data.EpisodeRecord;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.analysis.data.Seeding;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.RecipeException;
import dev.qwm.quant.recipe.RecipeIo;
import dev.qwm.quant.recipe.WorldModelModule;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigurationDescriptorTest {

    @Test
    void readsTheStudyLabels() {
        ConfigurationDescriptor p = ConfigurationDescriptor.fromLabel("predictor/w4a16-g128/rtn").orElseThrow();
        assertEquals(Scope.PREDICTOR, p.scope());
        assertFalse(p.encoder().isQuantized());
        assertEquals(new ModuleQuantization(QuantMethod.RTN, 4, 128, 16, null, false), p.predictor());
        assertTrue(p.isWeightOnly());
        assertEquals("predictor/w4a16-g128/rtn", p.canonicalLabel());

        ConfigurationDescriptor sq = ConfigurationDescriptor.fromLabel("both/w8a8-token/smoothquant").orElseThrow();
        assertEquals(Scope.BOTH, sq.scope());
        assertEquals(QuantMethod.SMOOTHQUANT, sq.quantization().method());
        assertEquals(ActivationSpec.Granularity.TOKEN, sq.quantization().activationGranularity());
        assertFalse(sq.isWeightOnly());

        ConfigurationDescriptor e = ConfigurationDescriptor.fromLabel("Wall-W4A16 encoder-only, OMSE").orElseThrow();
        assertEquals(Scope.ENCODER, e.scope());
        assertEquals(QuantMethod.OMSE, e.encoder().method());
        assertEquals(0, e.encoder().groupSize());

        ConfigurationDescriptor w8a8 = ConfigurationDescriptor.fromLabel("w8a8").orElseThrow();
        assertEquals(Scope.BOTH, w8a8.scope(), "no module named: both");
        assertEquals(ActivationSpec.Granularity.TENSOR, w8a8.quantization().activationGranularity(), "quantizer default");
        assertEquals(QuantMethod.RTN, w8a8.quantization().method(), "no method named: RTN");

        assertTrue(ConfigurationDescriptor.fromLabel("wall-fp32").orElseThrow().isFullPrecision());
        assertTrue(ConfigurationDescriptor.fromLabel("FP").orElseThrow().isFullPrecision());
        assertTrue(ConfigurationDescriptor.fromLabel("w16a16").orElseThrow().isFullPrecision());

        ConfigurationDescriptor split = ConfigurationDescriptor.fromLabel("e8p4/awq").orElseThrow();
        assertEquals(8, split.encoder().weightBits());
        assertEquals(4, split.predictor().weightBits());
        assertFalse(split.isUniform());
        assertEquals(QuantMethod.AWQ, split.predictor().method());

        assertTrue(ConfigurationDescriptor.fromLabel("baseline-run-3").isPresent(), "baseline means full precision");
        assertTrue(ConfigurationDescriptor.fromLabel("my favourite model").isEmpty());
        assertTrue(ConfigurationDescriptor.fromLabel("").isEmpty());
        // w4 inside a longer word is not a format
        assertTrue(ConfigurationDescriptor.fromLabel("xw4a16y").isEmpty());
    }

    @Test
    void readsTheQuantizersRecipesAndManifests() {
        String both = RecipeIo.toJson(Presets.recipe("w4a16-g128", List.of(WorldModelModule.ENCODER, WorldModelModule.PREDICTOR),
                QuantMethod.GPTQ));
        assertEquals(new ModuleQuantization(QuantMethod.GPTQ, 4, 128, 16, null, false),
                ConfigurationDescriptor.moduleFromRecipeJson(both, WorldModelModule.ENCODER));
        String predictorOnly = RecipeIo.toJson(Presets.recipe("w8a8", "predictor"));
        assertEquals(ModuleQuantization.FULL_PRECISION,
                ConfigurationDescriptor.moduleFromRecipeJson(predictorOnly, WorldModelModule.ENCODER));
        ModuleQuantization p = ConfigurationDescriptor.moduleFromRecipeJson(predictorOnly, WorldModelModule.PREDICTOR);
        assertEquals(8, p.activationBits());
        assertEquals(ActivationSpec.Granularity.TENSOR, p.activationGranularity());
        // a manifest carries the recipe under "recipe"
        String manifest = "{\"format\":\"qwm-quantization/1\",\"recipe\":" + predictorOnly + ",\"modules\":[]}";
        assertEquals(p, ConfigurationDescriptor.moduleFromRecipeJson(manifest, WorldModelModule.PREDICTOR));
        var bad = assertThrows(RecipeException.class,
                () -> ConfigurationDescriptor.moduleFromRecipeJson("{\"name\":\"x\",\"modules\":{\"predictor\":{\"weights\":{\"bits\":5}}}}",
                        WorldModelModule.PREDICTOR));
        assertTrue(String.join(" ", bad.problems()).contains("5-bit"), bad.getMessage());
    }

    @Test
    void resolverPrefersRecipesAndFallsBackToLabelsWithANote() {
        ArtifactRef fpEnc = new ArtifactRef("e0", "encoder", "models/wall", "wall-fp32");
        ArtifactRef fpPred = new ArtifactRef("p0", "predictor", "models/wall", "wall-fp32");
        ArtifactRef qPred = new ArtifactRef("p4", "predictor", "models/wall-w4", "wall-w4a16-g128/rtn");
        ArtifactRef unknownPred = new ArtifactRef("p9", "predictor", "models/x", "x");
        List<ArtifactRecord> artifacts = List.of(
                new ArtifactRecord(fpEnc, null, 100, null),
                new ArtifactRecord(fpPred, null, 200, ""),
                new ArtifactRecord(qPred, fpPred, 60, RecipeIo.toJson(Presets.recipe("w4a16-g128", "predictor"))),
                new ArtifactRecord(new ArtifactRef("p5", "predictor", "b", "broken"), fpPred, 60, "{not json"));
        ConfigurationResolver resolver = new ConfigurationResolver(artifacts);

        // the label says w8 but the recipe says w4-g128: the recipe wins
        ConfigurationDescriptor fromRecipe = resolver.describe(episode("misleading-w8a16", fpEnc, qPred)).orElseThrow();
        assertEquals(ConfigurationDescriptor.Origin.RECIPE, fromRecipe.origin());
        assertEquals(Scope.PREDICTOR, fromRecipe.scope());
        assertEquals(128, fromRecipe.predictor().groupSize());
        assertEquals("misleading-w8a16", fromRecipe.label());

        assertTrue(resolver.describe(episode("fp32", fpEnc, fpPred)).orElseThrow().isFullPrecision());

        ConfigurationDescriptor fromLabel = resolver.describe(episode("predictor/w3a16/omse", fpEnc, unknownPred)).orElseThrow();
        assertEquals(ConfigurationDescriptor.Origin.LABEL, fromLabel.origin());
        assertEquals(3, fromLabel.predictor().weightBits());

        ConfigurationDescriptor broken = resolver.describe(
                episode("predictor/w6a16/rtn", fpEnc, new ArtifactRef("p5", "predictor", "b", "broken"))).orElseThrow();
        assertEquals(6, broken.predictor().weightBits());
        assertTrue(resolver.notes().stream().anyMatch(n -> n.contains("cannot be read")), resolver.notes().toString());

        assertTrue(resolver.describe(episode("mystery", fpEnc, unknownPred)).isEmpty());
        assertTrue(resolver.notes().stream().anyMatch(n -> n.contains("'mystery'")), resolver.notes().toString());
    }

    static EpisodeRecord episode(String configuration, ArtifactRef encoder, ArtifactRef predictor) {
        return new EpisodeRecord(0, "wall", encoder, predictor, new PlannerBudget(5, 300, 30, 1, 10, 50, 1, 5),
                new Seeding(1, 99, 1, "validation"), configuration, true, 3, 2.0, 0.1, 4, 1000, 90, "a", "w");
    }
}
