package dev.qwm.quant;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import dev.qwm.onnx.graph.LinearLayer;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.quant.core.ErrorMetrics;
import dev.qwm.quant.emit.EmitOptions;
import dev.qwm.quant.emit.OnnxEmitter;
import dev.qwm.quant.manifest.GroupReport;
import dev.qwm.quant.manifest.QuantizationManifest;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.CalibrationSettings;
import dev.qwm.quant.recipe.ModuleRecipe;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.recipe.WorldModelModule;
import dev.qwm.quant.testing.Ort;
import dev.qwm.quant.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The methods on a full pre-LN transformer block with multi-head attention, as in DINO-WM's predictor. */
class TransformerBlockTest {

    static final int WIDTH = 64;
    static final long[] SHAPE = {3, 12, WIDTH};
    static ModelProto model;
    static float[] heldOut;
    static float[] reference;

    @BeforeAll
    static void build() {
        model = TestModels.transformerBlock(WIDTH, 4, 128, 15f, 5);
        heldOut = TestModels.inputs(36, WIDTH, 77);
        reference = Ort.run(model, "X", heldOut, SHAPE);
    }

    static CalibrationFeed feed() {
        return collector -> {
            for (int i = 0; i < 6; i++) {
                try (OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(),
                        FloatBuffer.wrap(TestModels.inputs(36, WIDTH, 10 + i)), SHAPE)) {
                    collector.observe(Map.of("X", t));
                }
            }
        };
    }

    static ModuleQuantizer.Result quantize(QuantMethod method, WeightSpec w, ActivationSpec a) {
        return ModuleQuantizer.quantize(model, WorldModelModule.PREDICTOR, new ModuleRecipe(method, w, a, null, null),
                CalibrationSettings.DEFAULTS, feed(), ModuleQuantizer.Options.defaults().withEmit(EmitOptions.DEFAULTS));
    }

    static double sqnr(ModelProto m) {
        return ErrorMetrics.sqnrDb(reference, Ort.run(m, "X", heldOut, SHAPE));
    }

    @Test
    void findsTheFourLinearLayersAndBothLayerNormGroups() {
        List<LinearLayer> layers = LinearLayer.findAll(model);
        assertEquals(List.of("attn/qkv/MatMul", "attn/out/MatMul", "mlp/fc1/MatMul", "mlp/fc2/MatMul"),
                layers.stream().map(LinearLayer::name).toList());
        assertEquals(null, layers.get(0).biasName()); // bias-free qkv: no shift can be folded there
        assertEquals("attn/out/bias", layers.get(1).biasName());
    }

    @Test
    void awqAndOmniQuantJudgeWholeResidualBlocksIncludingAttention() {
        WeightSpec w4 = WeightSpec.grouped(4, 32);
        ModuleQuantizer.Result rtn = quantize(QuantMethod.RTN, w4, ActivationSpec.FLOAT);
        ModuleQuantizer.Result awq = quantize(QuantMethod.AWQ, w4, ActivationSpec.FLOAT);
        ActivationSpec a8 = ActivationSpec.of(8, ActivationSpec.Granularity.TENSOR);
        ModuleQuantizer.Result rtnA8 = quantize(QuantMethod.RTN, WeightSpec.perChannel(4), a8);
        ModuleQuantizer.Result omni = quantize(QuantMethod.OMNIQUANT, WeightSpec.perChannel(4), a8);
        for (ModuleQuantizer.Result r : List.of(awq, omni)) {
            assertTrue(ErrorMetrics.maxAbsDiff(reference, Ort.run(r.transformedFloatModel(), "X", heldOut, SHAPE)) < 1e-4);
            assertEquals(2, r.report().groups().size());
            for (GroupReport g : r.report().groups()) {
                assertTrue(g.applied(), g.toString());
                assertTrue(g.objective().startsWith("residual block output"), g.objective());
                assertTrue(g.error() <= g.baselineError(), g.toString());
            }
        }
        // the qkv group has no bias: OmniQuant must not have shifted it
        assertTrue(omni.report().groups().get(0).detail().contains("shift=false"), omni.report().groups().get(0).detail());
        double sRtn = sqnr(rtn.model());
        double sAwq = sqnr(awq.model());
        double sRtnA8 = sqnr(rtnA8.model());
        double sOmni = sqnr(omni.model());
        System.out.printf("transformer block: W4-g32 RTN %.2f dB, AWQ %.2f dB; W4A8 RTN %.2f dB, OmniQuant %.2f dB%n",
                sRtn, sAwq, sRtnA8, sOmni);
        assertTrue(sAwq > sRtn, "AWQ " + sAwq + " vs RTN " + sRtn);
        assertTrue(sOmni > sRtnA8, "OmniQuant " + sOmni + " vs RTN " + sRtnA8);
    }

    @Test
    void perTokenW8A8RunsOnIntegerKernelsAndMatchesItsReference() {
        ModuleQuantizer.Result sq = quantize(QuantMethod.SMOOTHQUANT, WeightSpec.perChannel(8), ActivationSpec.of(8, ActivationSpec.Granularity.TOKEN));
        ModelProto fake = OnnxEmitter.emit(sq.transformedFloatModel(), sq.layers(), EmitOptions.FAKE_QUANT).model();
        double rel = ErrorMetrics.relativeError(Ort.run(fake, "X", heldOut, SHAPE), Ort.run(sq.model(), "X", heldOut, SHAPE));
        assertTrue(rel < 1e-4, "per-token integer graph vs fake-quant: " + rel);
        assertEquals(4, sq.report().runtimeOps().get("MatMulInteger"));
        // only attention's activation products stay float (A·V as MatMul, QKᵀ fused by ORT into FusedMatMul)
        assertEquals(1, sq.report().runtimeOps().get("MatMul"), sq.report().runtimeOps().toString());
    }

    @Test
    void manifestRecordsRecipeCalibrationKernelsErrorsAndBytes() {
        // groups of 128 on 64-wide layers: one group per row, noted in the manifest
        var recipe = Presets.recipe("w4a16-g128", "predictor");
        ModuleQuantizer.Result g128 = ModuleQuantizer.quantize(model, WorldModelModule.PREDICTOR,
                recipe.modules().get(WorldModelModule.PREDICTOR), recipe.calibration(), null, ModuleQuantizer.Options.defaults());
        assertTrue(g128.report().layers().get(0).note().contains("group 128 ≥ input width 64"), g128.report().layers().get(0).toString());
        assertEquals(1, g128.report().layers().get(0).groupsPerRow());
        assertEquals("1 (per channel: group ≥ width 64)", g128.report().layers().get(0).groupsDescription());
        assertTrue(g128.report().weightBytesAfter() < 0.2 * g128.report().weightBytesBefore());
        assertEquals(null, g128.calibration(), "RTN weight-only needs no calibration");

        ModuleQuantizer.Result r = quantize(QuantMethod.GPTQ, WeightSpec.grouped(4, 32), ActivationSpec.FLOAT);
        QuantizationManifest m = new QuantizationManifest(QuantizationManifest.FORMAT, Presets.recipe("w4a16", "predictor"),
                r.calibration().fingerprint(), r.calibration().batches(),
                dev.qwm.onnx.runtime.RunEnvironment.of(dev.qwm.onnx.runtime.CpuFeatures.AVX2, dev.qwm.onnx.runtime.SessionConfig.singleThreaded()),
                null, List.of(r.report()), null);
        String json = m.toJson();
        assertTrue(json.contains("\"calibrationFingerprint\" : \"" + r.calibration().fingerprint() + "\""), json);
        assertTrue(json.contains("\"outputSqnrDb\""), json);
        assertTrue(json.contains("MatMulNBits"), json);
        assertTrue(json.contains("\"ranOn\"") && json.contains("\"onnxRuntime\" : \"1.29"), json);
        assertTrue(r.report().weightBytesAfter() < 0.2 * r.report().weightBytesBefore(),
                r.report().weightBytesAfter() + " vs " + r.report().weightBytesBefore());
        assertEquals(4, r.report().layers().size());
        r.report().layers().forEach(l -> assertTrue(l.outputSqnrDb() > 10, l.toString()));
    }
}
