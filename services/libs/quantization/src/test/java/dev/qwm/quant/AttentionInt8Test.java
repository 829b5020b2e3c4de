package dev.qwm.quant;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.graph.AttentionCores;
import dev.qwm.onnx.graph.GraphIndex;
import dev.qwm.onnx.graph.MultiHeadAttentions;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.kernel.KernelChoice;
import dev.qwm.onnx.runtime.CpuFeatures;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.quant.core.ErrorMetrics;
import dev.qwm.quant.emit.EmitOptions;
import dev.qwm.quant.emit.OnnxEmitter;
import dev.qwm.quant.manifest.AttentionReport;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.AttentionProducts;
import dev.qwm.quant.recipe.CalibrationSettings;
import dev.qwm.quant.recipe.ModuleRecipe;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.RecipeException;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.recipe.WorldModelModule;
import dev.qwm.quant.testing.Ort;
import dev.qwm.quant.testing.TestModels;
import dev.qwm.training.export.ModelWeights;
import dev.qwm.training.export.OnnxExporter;
import dev.qwm.training.model.Normalization;
import dev.qwm.training.model.WorldModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recipe {@code attention: int8}: attention's q·kᵀ and probabilities·v as u8×u8 integer products, on a frame-causal
 * (masked) predictor of the shipped architecture with three frames of history and random weights; and the option off
 * leaving the shipped Wall model's artifacts as they were, byte for byte.
 */
class AttentionInt8Test {

    static final Path WALL = Path.of("../../../models/wall");

    static final WorldModelConfig CONFIG = WorldModelConfig.small(2, 3);
    static final ModelProto MASKED = OnnxModels.parse(OnnxExporter.predictor(
            ModelWeights.random(CONFIG, Normalization.identity(2, CONFIG.actionDim()), 5)));
    static final int FRAMES = CONFIG.numHist();
    static final int TOKENS = CONFIG.numPatches();
    static final int WIDTH = CONFIG.tokenDim();
    static final long[] SHAPE = {4, FRAMES, TOKENS, WIDTH};

    static final ModuleRecipe W8A8 = new ModuleRecipe(QuantMethod.RTN, WeightSpec.perChannel(8),
            ActivationSpec.of(8, ActivationSpec.Granularity.TENSOR), null, null);
    static final ModuleRecipe W8A8_ATTN = W8A8.withAttention(AttentionProducts.INT8);

    static float[] latents(long seed) {
        Random r = new Random(seed);
        float[] x = new float[(int) (SHAPE[0] * SHAPE[1] * SHAPE[2] * SHAPE[3])];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    static CalibrationFeed feed() {
        return collector -> {
            for (int i = 0; i < 6; i++) {
                try (OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(), FloatBuffer.wrap(latents(100 + i)), SHAPE)) {
                    collector.observe(Map.of("z", t));
                }
            }
        };
    }

    static ModuleQuantizer.Result quantize(ModelProto model, ModuleRecipe recipe) {
        return ModuleQuantizer.quantize(model, WorldModelModule.PREDICTOR, recipe, CalibrationSettings.DEFAULTS, feed(),
                ModuleQuantizer.Options.defaults().withCpu(CpuFeatures.AVX512_VNNI));
    }

    static float[] run(ModelProto m, float[] z) {
        return Ort.run(m, "z", z, SHAPE);
    }

    @Test
    void int8AttentionWritesBothProductsAsUnsignedIntegerProductsOfCalibratedCodes() {
        assertEquals(CONFIG.predictorDepth(), AttentionCores.find(MASKED).size());
        assertTrue(AttentionCores.find(MASKED).stream().allMatch(AttentionCores.Core::masked));
        ModuleQuantizer.Result r = quantize(MASKED, W8A8_ATTN);

        List<AttentionReport> attention = r.report().attention();
        assertEquals(CONFIG.predictorDepth(), attention.size());
        for (AttentionReport a : attention) {
            assertTrue(a.masked(), a.softmax());
            assertEquals(0, a.probabilities().zeroPoint(), "probabilities are ≥ 0: zero point 0 keeps masked ones exact");
            assertTrue(a.probabilities().scale() <= 1f / 255 + 1e-7f, String.valueOf(a.probabilities()));
            assertTrue(r.report().numerics().contains(a.numerics()));
        }
        // no float attention product is left: every core's two MatMuls read uint8 QuantizeLinear codes
        assertEquals(List.of(), AttentionCores.find(r.model()));
        GraphIndex index = GraphIndex.of(r.model());
        int attentionProducts = 0;
        for (NodeProto n : r.model().getGraph().getNodeList()) {
            if (n.getOpType().equals("MatMulIntegerToFloat") && index.initializer(n.getInput(1)).isEmpty()) {
                attentionProducts++;
                for (int i = 0; i < 2; i++) {
                    NodeProto q = index.producer(n.getInput(i)).orElseThrow();
                    assertEquals("QuantizeLinear", q.getOpType(), n.getName());
                    assertEquals(TensorProto.DataType.UINT8_VALUE, index.initializer(q.getInput(2)).orElseThrow().getDataType());
                }
            }
            // the linear layers' MatMuls read DequantizeLinear of constant weights (ORT fuses them); nothing else is left
            assertTrue(!n.getOpType().equals("MatMul") || index.producer(n.getInput(1))
                            .filter(w -> w.getOpType().equals("DequantizeLinear") && index.initializer(w.getInput(0)).isPresent()).isPresent(),
                    "a float product of two activations is left: " + n.getName());
        }
        assertEquals(2 * CONFIG.predictorDepth(), attentionProducts);
        assertEquals(8 + 2 * CONFIG.predictorDepth(), r.report().runtimeOps().get("com.microsoft:MatMulIntegerToFloat"),
                r.report().runtimeOps().toString());

        // the integer graph computes the recipe's numbers: its float quantize-dequantize form, within rounding
        float[] z = latents(7);
        ModelProto fake = OnnxEmitter.emit(r.transformedFloatModel(), r.layers(),
                r.report().attention().stream().map(a -> quantizedAttention(r, a)).toList(), EmitOptions.FAKE_QUANT).model();
        double rel = ErrorMetrics.relativeError(run(fake, z), run(r.model(), z));
        assertTrue(rel < 1e-4, "integer graph vs its fake-quant reference: relative difference " + rel);
        // and stays close to the float model (random weights and inputs: a floor, not the shipped model's figure)
        double sqnr = ErrorMetrics.sqnrDb(run(MASKED, z), run(r.model(), z));
        double sqnrW8a8 = ErrorMetrics.sqnrDb(run(MASKED, z), run(quantize(MASKED, W8A8).model(), z));
        assertTrue(sqnr > 20 && sqnr > sqnrW8a8 - 10, "SQNR with int8 attention " + sqnr + " dB, W8A8 alone " + sqnrW8a8);
    }

    @Test
    void int8AttentionKeepsTheFrameCausalMaskExact() {
        ModuleQuantizer.Result r = quantize(MASKED, W8A8_ATTN);
        float[] z = latents(8);
        float[] changed = z.clone();
        int frame = TOKENS * WIDTH;
        for (int b = 0; b < SHAPE[0]; b++) {
            for (int i = 0; i < frame; i++) {
                changed[(b * FRAMES + FRAMES - 1) * frame + i] += 3f; // the last frame only
            }
        }
        float[] y = run(r.model(), z);
        float[] y2 = run(r.model(), changed);
        boolean lastMoved = false;
        for (int b = 0; b < SHAPE[0]; b++) {
            for (int t = 0; t < FRAMES; t++) {
                int from = (b * FRAMES + t) * frame;
                float[] a = Arrays.copyOfRange(y, from, from + frame);
                float[] c = Arrays.copyOfRange(y2, from, from + frame);
                if (t < FRAMES - 1) {
                    // static codes of masked (exactly 0) probabilities are 0: later frames add nothing, bit for bit
                    assertArrayEquals(a, c, "batch " + b + " frame " + t + " saw a later frame");
                } else {
                    lastMoved |= !Arrays.equals(a, c);
                }
            }
        }
        assertTrue(lastMoved);
    }

    /**
     * The load-time fusion of masked attention into MultiHeadAttention (float GEMMs) cannot take int8 products: it
     * matches the float cores only, so a bundle with int8 attention runs its integer products on every CPU.
     */
    @Test
    void loadTimeAttentionFusionLeavesInt8ProductsAlone(@TempDir Path cache) {
        assertEquals(CONFIG.predictorDepth(), MultiHeadAttentions.find(MASKED).size());
        ModuleQuantizer.Result r = quantize(MASKED, W8A8_ATTN);
        assertEquals(List.of(), MultiHeadAttentions.find(r.model()));
        KernelChoice.Choices c = KernelChoice.choose(r.model(), KernelChoice.graphSha256(r.model().toByteArray()), 1,
                CpuFeatures.current(), cache);
        assertEquals(List.of(), c.fusedAttention());
        assertTrue(c.layers().stream().noneMatch(l -> l.stored().equals(KernelChoice.ATTENTION_NODES)), c.layers().toString());
        long products = c.apply(r.model()).getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("MatMulIntegerToFloat")).count();
        assertEquals(2L * CONFIG.predictorDepth(), products); // the layers' are QDQ until ORT fuses them
        assertEquals(List.of(), MultiHeadAttentions.find(c.apply(r.model())));
    }

    @Test
    void aGraphWithoutAttentionRefusesInt8AttentionNamingWhy() {
        ModelProto mlp = TestModels.mlpModel(TestModels.mlpBlock(32, 64, 1f, 1));
        RecipeException e = assertThrows(RecipeException.class,
                () -> ModuleQuantizer.prepare(mlp, WorldModelModule.PREDICTOR, W8A8_ATTN));
        assertTrue(e.getMessage().contains("attention: int8") && e.getMessage().contains("no attention core"), e.getMessage());
        // without calibration data the option cannot fix its scales
        RecipeException none = assertThrows(RecipeException.class, () -> ModuleQuantizer.quantize(MASKED,
                WorldModelModule.PREDICTOR, new ModuleRecipe(QuantMethod.RTN, WeightSpec.perChannel(4), ActivationSpec.FLOAT,
                        null, null).withAttention(AttentionProducts.INT8), CalibrationSettings.DEFAULTS, null,
                ModuleQuantizer.Options.defaults()));
        assertTrue(none.getMessage().contains("int8 attention"), none.getMessage());
    }

    /**
     * Off (the default, or {@code attention: float} spelled out), every artifact is the one the quantizer wrote before
     * the option existed: SHA-256 of the shipped Wall model's quantized graphs as commit 5e72232 wrote them
     * (recipes that need no calibration, so the figures hold on any CPU; the W8A8 weights as the VNNI profile stores
     * them).
     */
    @Test
    void offLeavesTheArtifactsByteIdentical() {
        Map<String, String> expected = Map.of(
                "w4a16-g128 encoder", "eda31c500ea775973922b0f69ee232710c5fd12ecf1791edfe8449936d514b1d",
                "w4a16-g128 predictor", "77aba0250f058051e3d36a5a884fadacfb4fe6d7d36662b59e88711a9082bc7a",
                "w8a8-token encoder", "a1586152e557513f6d703a08243259b7f00b845e6ae3487bec38d62847c9581b",
                "w8a8-token predictor", "ca8af345b0c3e9eb24a452c22daeef03c156b2c5ac8d0b3abf3d8955d03aa927");
        Recipe w4 = Presets.recipe("w4a16-g128", "both");
        Recipe w8 = Presets.withActivationGranularity(Presets.recipe("w8a8", "both"), ActivationSpec.Granularity.TOKEN);
        for (Recipe recipe : List.of(w4, w8, Presets.withAttention(w4, AttentionProducts.FLOAT))) {
            String tag = recipe.name().startsWith("w4a16") ? "w4a16-g128" : "w8a8-token";
            for (var e : recipe.modules().entrySet()) {
                ModelProto source = OnnxModels.read(WALL.resolve(e.getKey().component() + ".onnx"));
                ModuleQuantizer.Result r = ModuleQuantizer.quantize(source, e.getKey(), e.getValue(), recipe.calibration(),
                        null, ModuleQuantizer.Options.defaults().withCpu(CpuFeatures.AVX512_VNNI));
                assertEquals(expected.get(tag + " " + e.getKey().id()), ModelBundle.sha256(r.model().toByteArray()), tag + " " + e.getKey().id());
                assertEquals(null, r.report().attention());
            }
        }
    }

    private static dev.qwm.quant.emit.QuantizedAttention quantizedAttention(ModuleQuantizer.Result r, AttentionReport a) {
        AttentionCores.Core core = AttentionCores.find(r.transformedFloatModel()).stream()
                .filter(c -> c.softmax().equals(a.softmax())).findFirst().orElseThrow();
        return new dev.qwm.quant.emit.QuantizedAttention(core, a.query(), a.key(), a.probabilities(), a.value());
    }

}
