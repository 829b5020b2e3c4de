package dev.qwm.quant.recipe;

import dev.qwm.onnx.graph.LinearLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecipeTest {

    static final String YAML = """
            name: mixed
            modules:
              predictor:
                method: gptq
                weights: {bits: 4, group: 128}
                activations: {bits: 16}
                options:
                  gptq: {damp: 0.02, actOrder: true}
                layers:
                  - match: "*fc2*"
                    weights: {bits: 8, group: channel}
                  - match: "re:.*head.*"
                    skip: true
              encoder:
                method: smoothquant
                weights: {bits: 8}
                activations: {bits: 8, granularity: token}
                options:
                  smoothquant: {alpha: 0.6}
            calibration: {episodes: 10, quantIter: 1}
            """;

    static LinearLayer layer(String name, int in, int out) {
        return new LinearLayer(name, "MatMul", name + "_in", name + ".weight", false, null, null, name + "_out", in, out);
    }

    @Test
    void readsYamlWithDefaultsAndRoundTrips(@TempDir Path dir) {
        Recipe r = RecipeIo.fromYaml(YAML);
        ModuleRecipe p = r.modules().get(WorldModelModule.PREDICTOR);
        assertEquals(QuantMethod.GPTQ, p.method());
        assertEquals(WeightSpec.grouped(4, 128), p.weights());
        assertTrue(p.activations().isFloat());
        assertEquals(0.02, p.options().gptq().damp());
        assertEquals(128, p.options().gptq().blockSize()); // default filled in
        assertTrue(p.options().gptq().actOrder());
        ModuleRecipe e = r.modules().get(WorldModelModule.ENCODER);
        assertEquals(ActivationSpec.Granularity.TOKEN, e.activations().granularity());
        assertEquals(0.6, e.options().smoothquant().alpha());
        assertEquals(10, r.calibration().episodes());
        assertEquals(2, r.calibration().seedOffset());
        assertEquals(101, r.calibration().episodeSeed(1));

        assertEquals(r, RecipeIo.fromYaml(RecipeIo.toYaml(r)));
        assertEquals(r, RecipeIo.fromJson(RecipeIo.toJson(r)));
        Path f = dir.resolve("r.json");
        RecipeIo.write(r, f);
        assertEquals(r, RecipeIo.read(f));
    }

    @Test
    void presetsCoverTheIssueList() {
        for (String name : List.of("w8a8", "w8a16", "w6a16", "w4a16-g128", "w4a16", "w3a16", "w4a8")) {
            for (String modules : List.of("encoder", "predictor", "both")) {
                Recipe r = Presets.recipe(name, modules);
                assertEquals(modules.equals("both") ? 2 : 1, r.modules().size());
                assertEquals(r, RecipeIo.fromYaml(RecipeIo.toYaml(r)), name);
            }
        }
        Recipe w4 = Presets.recipe("w4a16-g128", "predictor");
        assertEquals(WeightSpec.grouped(4, 128), w4.modules().get(WorldModelModule.PREDICTOR).weights());
        Recipe w8a8 = Presets.recipe("w8a8", "both");
        assertEquals(ActivationSpec.of(8, ActivationSpec.Granularity.TENSOR), w8a8.modules().get(WorldModelModule.ENCODER).activations());
        assertThrows(RecipeException.class, () -> Presets.recipe("w5a16", "predictor"));
        assertThrows(RecipeException.class, () -> Presets.recipe("w8a8", "decoder"));
    }

    @Test
    void refusesImpossibleRecipesNamingTheProblem() {
        RecipeException fiveBit = assertThrows(RecipeException.class, () -> RecipeIo.fromYaml("""
                name: bad
                modules:
                  predictor: {weights: {bits: 5}}
                """));
        assertTrue(fiveBit.getMessage().contains("5-bit weights are not supported"), fiveBit.getMessage());

        RecipeException group = assertThrows(RecipeException.class, () -> RecipeIo.fromYaml("""
                name: bad
                modules:
                  encoder: {weights: {bits: 4, group: 100}, activations: {bits: 7}}
                """));
        assertTrue(group.getMessage().contains("group size 100"), group.getMessage());
        assertTrue(group.getMessage().contains("7-bit activations"), group.getMessage());
        assertEquals(2, group.problems().size());

        RecipeException typo = assertThrows(RecipeException.class, () -> RecipeIo.fromYaml("""
                name: bad
                modules:
                  predictor: {weights: {bits: 4}, methd: awq}
                """));
        assertTrue(typo.getMessage().contains("methd"), typo.getMessage());

        RecipeException method = assertThrows(RecipeException.class, () -> RecipeIo.fromYaml("""
                name: bad
                modules:
                  predictor: {method: zeroquant, weights: {bits: 4}}
                """));
        assertTrue(method.getMessage().contains("unknown method 'zeroquant'"), method.getMessage());

        RecipeException evalSeeds = assertThrows(RecipeException.class, () -> RecipeIo.fromYaml("""
                name: bad
                modules:
                  predictor: {weights: {bits: 4}}
                calibration: {seedOffset: 1}
                """));
        assertTrue(evalSeeds.getMessage().contains("evaluation seeds"), evalSeeds.getMessage());
    }

    @Test
    void everySizeARecipeCanSetHasAnUpperLimitNamedInTheError() {
        RecipeException e = assertThrows(RecipeException.class, () -> RecipeIo.fromYaml("""
                name: huge
                modules:
                  predictor: {weights: {bits: 4}}
                calibration: {episodes: 100000, quantIter: 1000, rowsPerTensor: 5000000, rowsPerBatch: 100000000, snapshots: 99999}
                """));
        for (String named : new String[] {"calibration.episodes must be 1..1,000, got 100,000",
                "calibration.quantIter must be 1..50, got 1,000", "calibration.rowsPerTensor must be 16..65,536, got 5,000,000",
                "calibration.rowsPerBatch must be 1..65,536", "calibration.snapshots must be 1..1,024"}) {
            assertTrue(e.getMessage().contains(named), e.getMessage());
        }
        RecipeIo.fromYaml("""
                name: largest
                modules:
                  predictor: {weights: {bits: 4}}
                calibration: {episodes: 1000, quantIter: 50, rowsPerTensor: 65536}
                """).validate();
    }

    @Test
    void bindingAppliesRulesInOrderAndRefusesWhatDoesNotFitTheModel() {
        Recipe r = RecipeIo.fromYaml(YAML);
        List<LinearLayer> layers = List.of(layer("blk0/qkv", 404, 1200), layer("blk0/fc1", 404, 800),
                layer("blk0/fc2", 800, 404), layer("head", 404, 10));
        List<LayerPlan> plans = RecipeBinder.bind(WorldModelModule.PREDICTOR, r.modules().get(WorldModelModule.PREDICTOR), layers);
        assertEquals(List.of("blk0/qkv", "blk0/fc1", "blk0/fc2"), plans.stream().map(LayerPlan::name).toList());
        assertEquals(WeightSpec.perChannel(8), plans.get(2).weights());
        assertEquals(WeightSpec.grouped(4, 128), plans.get(0).weights());

        RecipeException none = assertThrows(RecipeException.class, () -> RecipeBinder.bind(WorldModelModule.PREDICTOR,
                r.modules().get(WorldModelModule.PREDICTOR), List.of(layer("qkv", 404, 1200), layer("head", 404, 10))));
        assertTrue(none.getMessage().contains("'*fc2*' matches no linear layer"), none.getMessage());

        ModuleRecipe g128 = Presets.recipe("w4a16-g128", "predictor").modules().get(WorldModelModule.PREDICTOR);
        // 404 is not a multiple of 128 (short last group per row); 84 is narrower than a group (one group per row)
        assertEquals(2, RecipeBinder.bind(WorldModelModule.PREDICTOR, g128, List.of(layer("qkv", 404, 1200), layer("fc", 84, 168))).size());
    }

    @Test
    void layerNormOperatorIsTheRecipesAndARecipeWithoutItKeepsItsJson() {
        Recipe plain = Presets.recipe("w8a8", WorldModelModule.parseSelection("both"), QuantMethod.RTN);
        String json = RecipeIo.toJson(plain);
        // absent unless asked for: the canonical JSON (and so the artifact keys) of every earlier recipe is unchanged
        assertTrue(!json.contains("layerNorm"), json);
        Recipe skip = Presets.withLayerNorm(plain, LayerNormOp.SKIP);
        assertEquals("w8a8-rtn-both-ln-skip", skip.name());
        skip.modules().values().forEach(m -> assertEquals(LayerNormOp.SKIP, m.layerNormOp()));
        assertTrue(RecipeIo.toJson(skip).contains("\"layerNorm\" : \"skip\""), RecipeIo.toJson(skip));
        assertEquals(skip, RecipeIo.fromJson(RecipeIo.toJson(skip)));
        assertEquals(skip, RecipeIo.fromYaml(RecipeIo.toYaml(skip)));
        // the default spelled out is the default: same recipe, same JSON
        Recipe spelled = RecipeIo.fromYaml("""
                name: w8a8-rtn-both
                modules:
                  predictor: {weights: {bits: 8}, activations: {bits: 8}, layerNorm: layer-normalization}
                """);
        assertTrue(!RecipeIo.toJson(spelled).contains("layerNorm"), RecipeIo.toJson(spelled));
        assertEquals(plain, Presets.withLayerNorm(plain, LayerNormOp.LAYER_NORMALIZATION));
        RecipeException e = assertThrows(RecipeException.class, () -> RecipeIo.fromYaml("""
                name: x
                modules:
                  predictor: {weights: {bits: 8}, layerNorm: fast}
                """));
        assertTrue(e.getMessage().contains("layerNorm") && e.getMessage().contains("skip"), e.getMessage());
    }

    @Test
    void int8AttentionIsTheRecipesOptionNamedOnceAndAbsentFromTheJsonUnlessAsked() {
        Recipe plain = Presets.recipe("w8a8", WorldModelModule.parseSelection("both"), QuantMethod.RTN);
        String json = RecipeIo.toJson(plain);
        assertTrue(!json.contains("attention"), json);
        assertTrue(!plain.modules().values().stream().anyMatch(m -> m.attentionProducts() != AttentionProducts.FLOAT));
        Recipe int8 = Presets.withAttention(plain, AttentionProducts.INT8);
        assertEquals("w8a8-rtn-both-attn-int8", int8.name());
        int8.modules().values().forEach(m -> assertEquals(AttentionProducts.INT8, m.attentionProducts()));
        assertTrue(RecipeIo.toJson(int8).contains("\"attention\" : \"int8\""), RecipeIo.toJson(int8));
        assertEquals(int8, RecipeIo.fromJson(RecipeIo.toJson(int8)));
        assertEquals(int8, RecipeIo.fromYaml(RecipeIo.toYaml(int8)));
        // other options keep it: the activation granularity, the LayerNorm operator
        Recipe both = Presets.withLayerNorm(Presets.withActivationGranularity(int8, ActivationSpec.Granularity.TOKEN), LayerNormOp.SKIP);
        both.modules().values().forEach(m -> assertEquals(AttentionProducts.INT8, m.attentionProducts()));
        // its scales come from calibration, whatever the linear layers need
        assertTrue(!Presets.recipe("w4a16-g128", "predictor").needsCalibration());
        assertTrue(Presets.withAttention(Presets.recipe("w4a16-g128", "predictor"), AttentionProducts.INT8).needsCalibration());
        Recipe spelled = RecipeIo.fromYaml("""
                name: w8a8-rtn-both
                modules:
                  predictor: {weights: {bits: 8}, activations: {bits: 8}, attention: float}
                """);
        assertTrue(!RecipeIo.toJson(spelled).contains("attention"), RecipeIo.toJson(spelled));
        assertEquals(plain, Presets.withAttention(plain, AttentionProducts.FLOAT));
        Recipe yaml = RecipeIo.fromYaml("""
                name: a
                modules:
                  predictor: {weights: {bits: 8}, activations: {bits: 8}, attention: INT8}
                """);
        assertEquals(AttentionProducts.INT8, yaml.modules().get(WorldModelModule.PREDICTOR).attentionProducts());
        RecipeException e = assertThrows(RecipeException.class, () -> RecipeIo.fromYaml("""
                name: x
                modules:
                  predictor: {weights: {bits: 8}, attention: int4}
                """));
        assertTrue(e.getMessage().contains("attention 'int4'") && e.getMessage().contains("float, int8"), e.getMessage());
    }

    @Test
    void omniQuantAsQuantWmRanItIsSmoothQuantOnTheEncoderAndRtnOnThePredictor() {
        Recipe r = Presets.recipe("w4a8", WorldModelModule.parseSelection("both"), "omniquant-quantwm");
        assertEquals("w4a8-omniquant-quantwm-both", r.name());
        ModuleRecipe enc = r.modules().get(WorldModelModule.ENCODER);
        assertEquals(QuantMethod.SMOOTHQUANT, enc.method());
        assertEquals(0.5, enc.options().smoothquant().alpha());
        assertEquals(QuantMethod.RTN, enc.options().smoothquant().weights());
        assertEquals(QuantMethod.RTN, r.modules().get(WorldModelModule.PREDICTOR).method());
        assertEquals(Presets.recipe("w4a8", WorldModelModule.parseSelection("predictor"), QuantMethod.RTN).modules(),
                Presets.recipe("w4a8", WorldModelModule.parseSelection("predictor"), "omniquant-quantwm").modules(),
                "predictor-only OmniQuant as QuantWM ran it is plain RTN");
        assertThrows(RecipeException.class, () -> Presets.recipe("w4a8", List.of(WorldModelModule.ENCODER), "omniquant-x"));
    }

    @Test
    void readsRecipeFilesNamingTheFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "name: x\nmodules:\n  predictor: {weights: {bits: 1}}\n");
        RecipeException e = assertThrows(RecipeException.class, () -> RecipeIo.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    }
}
