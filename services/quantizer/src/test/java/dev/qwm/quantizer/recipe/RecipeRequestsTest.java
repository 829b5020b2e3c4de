package dev.qwm.quantizer.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.api.quantizer.v1.QuantizerApi;
import dev.qwm.api.quantizer.v1.QuantizerApi.ActivationGranularity;
import dev.qwm.api.quantizer.v1.QuantizerApi.CalibrationSettings;
import dev.qwm.api.quantizer.v1.QuantizerApi.ModuleRecipe;
import dev.qwm.api.quantizer.v1.QuantizerApi.QuantMethod;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.AttentionProducts;
import dev.qwm.quant.recipe.LayerNormOp;
import dev.qwm.quant.recipe.LayerRule;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.RecipeException;
import dev.qwm.quant.recipe.RecipeIo;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.recipe.WorldModelModule;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecipeRequestsTest {

    private static final QuantizerApi.Recipe NONE = QuantizerApi.Recipe.getDefaultInstance();

    @Test
    void aPresetIsTheSameRecipeOverGrpcHttpAndTheLibrary() {
        Recipe library = Presets.recipe("w8a8", List.of(WorldModelModule.ENCODER, WorldModelModule.PREDICTOR),
                dev.qwm.quant.recipe.QuantMethod.SMOOTHQUANT);
        Recipe grpc = RecipeRequests.fromSubmission("w8a8", List.of(ModelComponent.MODEL_COMPONENT_ENCODER,
                        ModelComponent.MODEL_COMPONENT_PREDICTOR),
                NONE.toBuilder().addModules(ModuleRecipe.newBuilder().setMethod(QuantMethod.QUANT_METHOD_SMOOTHQUANT)).build());
        Recipe http = RecipeRequests.fromHttp("w8a8", "both", "smoothquant", null, null, null);
        assertEquals(library, grpc);
        assertEquals(library, http);
        assertEquals(RecipeRequests.canonicalJson(library), RecipeRequests.canonicalJson(grpc));
        // RTN when no method is named, on both APIs
        assertEquals(Presets.recipe("w4a16-g128", "predictor"), RecipeRequests.fromSubmission("w4a16-g128",
                List.of(ModelComponent.MODEL_COMPONENT_PREDICTOR), NONE));
        assertEquals(Presets.recipe("w4a16-g128", "predictor"), RecipeRequests.fromHttp("w4a16-g128", "predictor", null, null, null, null));
    }

    @Test
    void presetTakesMethodParametersAndCalibrationFromTheRecipe() {
        Recipe r = RecipeRequests.fromSubmission("w8a8", List.of(ModelComponent.MODEL_COMPONENT_PREDICTOR),
                NONE.toBuilder().addModules(ModuleRecipe.newBuilder().setMethod(QuantMethod.QUANT_METHOD_SMOOTHQUANT)
                                .putParameters("alpha", "0.7").putParameters("smoothquant.weights", "gptq"))
                        .setCalibration(CalibrationSettings.newBuilder().setEpisodes(5).setQuantIter(1)).build());
        var p = r.modules().get(WorldModelModule.PREDICTOR);
        assertEquals(0.7, p.options().smoothquant().alpha());
        assertEquals(dev.qwm.quant.recipe.QuantMethod.GPTQ, p.options().smoothquant().weights());
        assertEquals(5, r.calibration().episodes());
        assertEquals(1, r.calibration().quantIter());
        assertEquals(2, r.calibration().seedOffset()); // 0 in proto3 keeps the default
        assertEquals(5, RecipeRequests.fromHttp("w4a8", "encoder", null, null, 5, null).calibration().episodes());
    }

    @Test
    void aFullRecipeMapsModulesLayerPatternsAndParameters() {
        QuantizerApi.Recipe proto = NONE.toBuilder().setName("mixed")
                .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR)
                        .setMethod(QuantMethod.QUANT_METHOD_GPTQ).setWeightBits(4).setWeightGroupSize(128)
                        .putParameters("damp", "0.02").putParameters("actOrder", "true"))
                .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR)
                        .setLayerPattern(".*fc2.*").setWeightBits(8))
                .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_ENCODER)
                        .setMethod(QuantMethod.QUANT_METHOD_OMSE).setWeightBits(8).setActivationBits(8)
                        .setActivationGranularity(ActivationGranularity.ACTIVATION_GRANULARITY_PER_TOKEN))
                .build();
        Recipe r = RecipeRequests.fromSubmission("", List.of(), proto);
        assertEquals("mixed", r.name());
        var p = r.modules().get(WorldModelModule.PREDICTOR);
        assertEquals(dev.qwm.quant.recipe.QuantMethod.GPTQ, p.method());
        assertEquals(WeightSpec.grouped(4, 128), p.weights());
        assertTrue(p.activations().isFloat());
        assertEquals(0.02, p.options().gptq().damp());
        assertTrue(p.options().gptq().actOrder());
        LayerRule fc2 = p.layers().get(0);
        assertEquals("re:.*fc2.*", fc2.match());
        assertEquals(WeightSpec.perChannel(8), fc2.weights());
        assertEquals(null, fc2.method()); // inherits GPTQ
        var e = r.modules().get(WorldModelModule.ENCODER);
        assertEquals(ActivationSpec.of(8, ActivationSpec.Granularity.TOKEN), e.activations());
        assertEquals(r, RecipeIo.fromJson(RecipeIo.toJson(r)));
    }

    @Test
    void layerNormAndAttentionAreAModulesChoiceOnEveryPath() {
        // a preset with both, as ./qwm quantize --preset w8a8 --layer-norm skip --attention int8 makes it
        Recipe library = Presets.withAttention(Presets.withLayerNorm(Presets.recipe("w8a8", "predictor"),
                LayerNormOp.SKIP), AttentionProducts.INT8);
        Recipe grpc = RecipeRequests.fromSubmission("w8a8", List.of(ModelComponent.MODEL_COMPONENT_PREDICTOR),
                NONE.toBuilder().addModules(ModuleRecipe.newBuilder().setLayerNorm("skip").setAttention("int8")).build());
        assertEquals(library, grpc);
        assertEquals("w8a8-rtn-predictor-ln-skip-attn-int8", grpc.name());
        // a full recipe: the module's entry carries them, and the derived name says so
        Recipe full = RecipeRequests.fromSubmission("", List.of(), NONE.toBuilder()
                .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR)
                        .setWeightBits(8).setActivationBits(8).setAttention("int8")).build());
        var p = full.modules().get(WorldModelModule.PREDICTOR);
        assertEquals(AttentionProducts.INT8, p.attentionProducts());
        assertEquals(LayerNormOp.LAYER_NORMALIZATION, p.layerNormOp());
        assertEquals("w8a8-rtn-predictor-attn-int8", full.name());
        // the defaults spelled out are the recipe without them
        assertEquals(Presets.recipe("w8a8", "predictor"), RecipeRequests.fromSubmission("w8a8",
                List.of(ModelComponent.MODEL_COMPONENT_PREDICTOR), NONE.toBuilder().addModules(ModuleRecipe.newBuilder()
                        .setLayerNorm("layer-normalization").setAttention("float")).build()));
        assertMessage("unknown attention 'int4'", () -> RecipeRequests.fromSubmission("", List.of(), NONE.toBuilder()
                .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR)
                        .setWeightBits(8).setAttention("int4")).build()));
        assertMessage("unknown layerNorm 'fused'", () -> RecipeRequests.fromSubmission("w8a8",
                List.of(ModelComponent.MODEL_COMPONENT_PREDICTOR),
                NONE.toBuilder().addModules(ModuleRecipe.newBuilder().setLayerNorm("fused")).build()));
        assertMessage("recipe.modules[1]: layer_norm and attention are a module's, not a layer's",
                () -> RecipeRequests.fromSubmission("", List.of(), NONE.toBuilder()
                        .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR)
                                .setWeightBits(8))
                        .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR)
                                .setLayerPattern(".*fc2.*").setWeightBits(4).setAttention("int8")).build()));
        assertMessage("recipe.modules[1].attention: INT8 contradicts FLOAT", () -> RecipeRequests.fromSubmission("w8a8",
                List.of(ModelComponent.MODEL_COMPONENT_PREDICTOR), NONE.toBuilder()
                        .addModules(ModuleRecipe.newBuilder().setAttention("float"))
                        .addModules(ModuleRecipe.newBuilder().setAttention("int8")).build()));
    }

    @Test
    void onlyPatternedEntriesQuantizeOnlyTheLayersTheyName() {
        Recipe r = RecipeRequests.fromSubmission("", List.of(), NONE.toBuilder()
                .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR)
                        .setWeightBits(4).setLayerPattern(".*qkv.*")).build());
        List<LayerRule> rules = r.modules().get(WorldModelModule.PREDICTOR).layers();
        assertEquals("re:.*", rules.get(0).match());
        assertEquals(true, rules.get(0).skip());
        assertEquals(false, rules.get(1).skip());
        assertEquals("w4a16-rtn-layers-predictor", r.name()); // derived when none is given
    }

    @Test
    void canonicalJsonIsStableAndTellsRecipesApart() {
        Recipe a = Presets.recipe("w4a16-g128", "predictor");
        String json = RecipeRequests.canonicalJson(a);
        assertEquals(json, RecipeRequests.canonicalJson(RecipeIo.fromYaml(RecipeIo.toYaml(a))));
        assertTrue(json.indexOf("\"calibration\"") < json.indexOf("\"modules\"") && json.indexOf("\"modules\"") < json.indexOf("\"name\""), json);
        assertNotEquals(json, RecipeRequests.canonicalJson(RecipeRequests.fromHttp("w4a16-g128", "predictor", null, null, 10, null)));
    }

    @Test
    void refusesWhatCannotWorkNamingTheProblem() {
        assertMessage("5-bit weights are not supported", () -> RecipeRequests.fromSubmission("", List.of(), NONE.toBuilder()
                .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR).setWeightBits(5)).build()));
        assertMessage("weight_bits is required", () -> RecipeRequests.fromSubmission("", List.of(), NONE.toBuilder()
                .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR)).build()));
        assertMessage("recipe.modules[0].module is MODEL_COMPONENT_UNSPECIFIED", () -> RecipeRequests.fromSubmission("",
                List.of(), NONE.toBuilder().addModules(ModuleRecipe.newBuilder().setWeightBits(4)).build()));
        assertMessage("a second entry for module predictor", () -> RecipeRequests.fromSubmission("", List.of(), NONE.toBuilder()
                .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR).setWeightBits(4))
                .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR).setWeightBits(8)).build()));
        assertMessage("is not a valid regular expression", () -> RecipeRequests.fromSubmission("", List.of(), NONE.toBuilder()
                .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR).setWeightBits(4)
                        .setLayerPattern("([")).build()));
        assertMessage("rtn has no parameters", () -> RecipeRequests.fromSubmission("", List.of(), NONE.toBuilder()
                .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR).setWeightBits(4)
                        .putParameters("alpha", "0.5")).build()));
        assertMessage("alfa", () -> RecipeRequests.fromSubmission("", List.of(), NONE.toBuilder()
                .addModules(ModuleRecipe.newBuilder().setModule(ModelComponent.MODEL_COMPONENT_PREDICTOR).setWeightBits(8)
                        .setMethod(QuantMethod.QUANT_METHOD_SMOOTHQUANT).putParameters("alfa", "0.5")).build()));
        assertMessage("unknown preset 'w5a16'", () -> RecipeRequests.fromHttp("w5a16", "predictor", null, null, null, null));
        assertMessage("preset 'w8a8' needs modules", () -> RecipeRequests.fromSubmission("w8a8", List.of(), NONE));
        assertMessage("a recipe module may only set method, parameters, layer_norm and attention", () -> RecipeRequests.fromSubmission("w8a8",
                List.of(ModelComponent.MODEL_COMPONENT_ENCODER), NONE.toBuilder()
                        .addModules(ModuleRecipe.newBuilder().setWeightBits(4)).build()));
        assertMessage("unknown module 'decoder'", () -> RecipeRequests.fromHttp("w8a8", "decoder", null, null, null, null));
        assertMessage("unknown method 'zeroquant'", () -> RecipeRequests.fromHttp("w8a8", "both", "zeroquant", null, null, null));
        assertMessage("not both", () -> RecipeRequests.fromHttp("w8a8", "both", null, "name: x", null, null));
        assertMessage("no recipe", () -> RecipeRequests.fromHttp(null, null, null, null, null, null));
        assertMessage("no recipe", () -> RecipeRequests.fromSubmission("", List.of(), NONE));
        assertMessage("evaluation seeds", () -> RecipeRequests.fromSubmission("w8a16", List.of(ModelComponent.MODEL_COMPONENT_ENCODER),
                NONE.toBuilder().setCalibration(CalibrationSettings.newBuilder().setSeedOffset(1)).build()));
    }

    private static void assertMessage(String expected, Runnable call) {
        RecipeException e = assertThrows(RecipeException.class, call::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
