package dev.qwm.quant;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.quant.core.ErrorMetrics;
import dev.qwm.quant.emit.EmitOptions;
import dev.qwm.quant.emit.OnnxEmitter;
import dev.qwm.quant.manifest.GroupReport;
import dev.qwm.quant.manifest.LayerReport;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.CalibrationSettings;
import dev.qwm.quant.recipe.LayerNormOp;
import dev.qwm.quant.recipe.MethodOptions;
import dev.qwm.quant.recipe.ModuleRecipe;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.recipe.WorldModelModule;
import dev.qwm.quant.testing.Ort;
import dev.qwm.quant.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The methods on small transformer-like graphs: two pre-LN MLP blocks x + fc2(gelu(fc1(LN(x)))) whose LayerNorm γ has
 * outlier channels (×20), so the fc1 input has a few channels far larger than the rest, as in real transformers.
 * Errors are measured end to end, on held-out inputs, in ONNX Runtime.
 */
class MethodsOnTransformerBlocksTest {

    static final int WIDTH = 64;
    static final int HIDDEN = 256;
    static final long[] SHAPE = {4, 16, WIDTH};
    static ModelProto model;
    static float[] heldOut;
    static float[] reference;

    @BeforeAll
    static void build() {
        model = TestModels.mlpModel(TestModels.mlpBlock(WIDTH, HIDDEN, 20f, 11), TestModels.mlpBlock(WIDTH, HIDDEN, 20f, 12));
        heldOut = TestModels.inputs(64, WIDTH, 999);
        reference = Ort.run(model, "X", heldOut, SHAPE);
    }

    static CalibrationFeed feed() {
        return collector -> {
            for (int i = 0; i < 8; i++) {
                try (OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(),
                        FloatBuffer.wrap(TestModels.inputs(64, WIDTH, 100 + i)), SHAPE)) {
                    collector.observe(Map.of("X", t));
                }
            }
        };
    }

    static ModuleQuantizer.Result quantize(QuantMethod method, WeightSpec w, ActivationSpec a, MethodOptions o) {
        ModuleRecipe recipe = new ModuleRecipe(method, w, a, o, null);
        return ModuleQuantizer.quantize(model, WorldModelModule.PREDICTOR, recipe, CalibrationSettings.DEFAULTS, feed(),
                ModuleQuantizer.Options.defaults().withEmit(EmitOptions.DEFAULTS));
    }

    static double sqnr(ModelProto m) {
        return ErrorMetrics.sqnrDb(reference, Ort.run(m, "X", heldOut, SHAPE));
    }

    static void assertEmittedMatchesFakeQuant(ModuleQuantizer.Result r) {
        ModelProto fake = OnnxEmitter.emit(r.transformedFloatModel(), r.layers(), EmitOptions.FAKE_QUANT).model();
        float[] yReal = Ort.run(r.model(), "X", heldOut, SHAPE);
        float[] yFake = Ort.run(fake, "X", heldOut, SHAPE);
        double rel = ErrorMetrics.relativeError(yFake, yReal);
        assertTrue(rel < 1e-4, "integer-kernel graph vs its fake-quant reference: relative difference " + rel);
    }

    static void assertTransformAloneIsExact(ModuleQuantizer.Result r) {
        float[] y = Ort.run(r.transformedFloatModel(), "X", heldOut, SHAPE);
        double diff = ErrorMetrics.maxAbsDiff(reference, y);
        assertTrue(diff < 1e-4, "the transform alone must not change the output: max |diff| " + diff);
    }

    @Test
    void smoothQuantBeatsRtnAtW8A8() {
        WeightSpec w8 = WeightSpec.perChannel(8);
        ActivationSpec a8 = ActivationSpec.of(8, ActivationSpec.Granularity.TENSOR);
        ModuleQuantizer.Result rtn = quantize(QuantMethod.RTN, w8, a8, null);
        ModuleQuantizer.Result sq = quantize(QuantMethod.SMOOTHQUANT, w8, a8, null);
        assertTransformAloneIsExact(sq);
        assertEmittedMatchesFakeQuant(sq);
        assertEmittedMatchesFakeQuant(rtn);
        double sRtn = sqnr(rtn.model());
        double sSq = sqnr(sq.model());
        System.out.printf("W8A8 end-to-end SQNR: RTN %.2f dB, SmoothQuant %.2f dB%n", sRtn, sSq);
        assertTrue(sSq > sRtn + 3, "SmoothQuant " + sSq + " dB vs RTN " + sRtn + " dB");
        assertEquals(2, sq.report().groups().stream().filter(GroupReport::applied).count());
        assertTrue(sq.report().runtimeOps().containsKey("com.microsoft:MatMulIntegerToFloat"), sq.report().runtimeOps().toString());
        assertEquals(0, sq.report().unfusedDequantize());
    }

    /**
     * {@code layerNorm: skip} changes the LayerNorms' operator and nothing else: the same integer layers, the residual
     * Add fused into ORT's SkipLayerNormalization, outputs within float rounding of the LayerNormalization graph.
     */
    @Test
    void layerNormSkipRunsResidualLayerNormsAsSkipLayerNormalizationAndChangesNothingElse() {
        WeightSpec w8 = WeightSpec.perChannel(8);
        ActivationSpec a8 = ActivationSpec.of(8, ActivationSpec.Granularity.TENSOR);
        ModuleQuantizer.Result plain = quantize(QuantMethod.RTN, w8, a8, null);
        ModuleQuantizer.Result skip = ModuleQuantizer.quantize(model, WorldModelModule.PREDICTOR,
                new ModuleRecipe(QuantMethod.RTN, w8, a8, null, null, LayerNormOp.SKIP), CalibrationSettings.DEFAULTS,
                feed(), ModuleQuantizer.Options.defaults().withEmit(EmitOptions.DEFAULTS));
        assertEquals(null, plain.report().skipLayerNorms());
        // the first block's LayerNorm reads the graph input (no Add): it stays; the second one's residual Add fuses
        assertEquals(1, skip.report().skipLayerNorms().size(), String.valueOf(skip.report().skipLayerNorms()));
        assertEquals(1, skip.report().runtimeOps().get("com.microsoft:SkipLayerNormalization"), skip.report().runtimeOps().toString());
        assertEquals(plain.report().layers().stream().map(LayerReport::numerics).toList(),
                skip.report().layers().stream().map(LayerReport::numerics).toList());
        assertEquals(plain.report().numerics().size() + 1, skip.report().numerics().size());
        double rel = ErrorMetrics.relativeError(Ort.run(plain.model(), "X", heldOut, SHAPE), Ort.run(skip.model(), "X", heldOut, SHAPE));
        assertTrue(rel < 1e-5, "LayerNormalization vs SkipLayerNormalization: relative difference " + rel);
    }

    @Test
    void awqBeatsRtnAtW4() {
        WeightSpec w4 = WeightSpec.grouped(4, 32);
        ModuleQuantizer.Result rtn = quantize(QuantMethod.RTN, w4, ActivationSpec.FLOAT, null);
        ModuleQuantizer.Result awq = quantize(QuantMethod.AWQ, w4, ActivationSpec.FLOAT, null);
        assertTransformAloneIsExact(awq);
        assertEmittedMatchesFakeQuant(awq);
        double sRtn = sqnr(rtn.model());
        double sAwq = sqnr(awq.model());
        System.out.printf("W4A16-g32 end-to-end SQNR: RTN %.2f dB, AWQ %.2f dB%n", sRtn, sAwq);
        assertTrue(sAwq > sRtn + 1, "AWQ " + sAwq + " dB vs RTN " + sRtn + " dB");
        for (GroupReport g : awq.report().groups()) {
            assertTrue(g.error() <= g.baselineError(), g.toString());
            assertTrue(g.objective().contains("residual block"), g.objective());
        }
    }

    @Tag("slow")
    @Test
    void omniQuantBeatsRtnAtW4A8AndItsEpochsMatter() {
        WeightSpec w4 = WeightSpec.perChannel(4);
        ActivationSpec a8 = ActivationSpec.of(8, ActivationSpec.Granularity.TENSOR);
        ModuleQuantizer.Result rtn = quantize(QuantMethod.RTN, w4, a8, null);
        ModuleQuantizer.Result omni = quantize(QuantMethod.OMNIQUANT, w4, a8, null);
        MethodOptions noEpochs = new MethodOptions(null, null, null, new MethodOptions.OmniQuant(0, null, null, null, null), null);
        ModuleQuantizer.Result omni0 = quantize(QuantMethod.OMNIQUANT, w4, a8, noEpochs);
        assertTransformAloneIsExact(omni);
        assertEmittedMatchesFakeQuant(omni);
        double sRtn = sqnr(rtn.model());
        double sOmni = sqnr(omni.model());
        double sOmni0 = sqnr(omni0.model());
        System.out.printf("W4A8 end-to-end SQNR: RTN %.2f dB, OmniQuant (0 epochs) %.2f dB, OmniQuant (2 epochs) %.2f dB%n",
                sRtn, sOmni0, sOmni);
        assertTrue(sOmni > sRtn + 3, "OmniQuant " + sOmni + " dB vs RTN " + sRtn + " dB");
        assertTrue(sOmni > sOmni0, "optimising (epochs > 0) must beat the initialisation: " + sOmni + " vs " + sOmni0);
    }

    @Test
    void gptqBeatsRtnAtW4AndEveryLayerReportsItsError() {
        WeightSpec w4 = WeightSpec.perChannel(4);
        ModuleQuantizer.Result rtn = quantize(QuantMethod.RTN, w4, ActivationSpec.FLOAT, null);
        ModuleQuantizer.Result gptq = quantize(QuantMethod.GPTQ, w4, ActivationSpec.FLOAT, null);
        assertEmittedMatchesFakeQuant(gptq);
        double sRtn = sqnr(rtn.model());
        double sGptq = sqnr(gptq.model());
        System.out.printf("W4A16 end-to-end SQNR: RTN %.2f dB, GPTQ %.2f dB%n", sRtn, sGptq);
        assertTrue(sGptq > sRtn + 1, "GPTQ " + sGptq + " dB vs RTN " + sRtn + " dB");
        for (int i = 0; i < 4; i++) {
            LayerReport g = gptq.report().layers().get(i);
            LayerReport r = rtn.report().layers().get(i);
            assertTrue(g.outputMse() < r.outputMse(), g.layer() + ": GPTQ output MSE " + g.outputMse() + " vs RTN " + r.outputMse());
            assertTrue(g.kernel().kernel().startsWith("MatMulNBits"), g.kernel().toString());
        }
    }
}
