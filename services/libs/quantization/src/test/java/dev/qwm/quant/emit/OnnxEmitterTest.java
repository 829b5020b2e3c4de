package dev.qwm.quant.emit;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.qwm.onnx.graph.GraphIndex;
import dev.qwm.onnx.graph.LinearLayer;
import dev.qwm.onnx.graph.OptimizedGraphs;
import dev.qwm.onnx.runtime.CpuFeatures;
import dev.qwm.quant.core.ActivationParams;
import dev.qwm.quant.core.ErrorMetrics;
import dev.qwm.quant.core.FakeQuantLinear;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.ActivationSpec.Granularity;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.testing.Ort;
import dev.qwm.quant.testing.TestModels;
import dev.qwm.quant.weights.RtnQuantizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxEmitterTest {

    static final int IN = 404; // DINO-WM's predictor width: not a multiple of 32, 64 or 128
    static final int OUT = 96;
    static final int B = 2;
    static final int T = 7;

    record Case(ModelProto model, LinearLayer layer, float[] w, float[] bias, float[] x, int rows) {
    }

    static Case linearCase(boolean gemm, int opset, long seed) {
        Random r = new Random(seed);
        float[] w = TestModels.gaussian(OUT * IN, r, 0.05);
        float[] bias = TestModels.gaussian(OUT, r, 0.1);
        ModelProto m = TestModels.linear(w, bias, IN, OUT, gemm, opset);
        LinearLayer layer = LinearLayer.findAll(m).get(0);
        int rows = gemm ? B : B * T;
        return new Case(m, layer, w, bias, TestModels.inputs(rows, IN, seed + 1), rows);
    }

    static ActivationParams staticParams(float[] x, int bits) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : x) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        return ActivationParams.fromRange(bits, min, max);
    }

    static float[] runOrt(Case c, ModelProto m) {
        return c.layer().opType().equals("Gemm") ? Ort.run(m, "X", c.x(), c.rows(), IN) : Ort.run(m, "X", c.x(), B, T, IN);
    }

    /** u8×u8 as stored: these tests run ORT on the graph directly, not through the load's kernel choice. */
    static final EmitOptions EXACT_AS_STORED = EmitOptions.DEFAULTS.withInt8Flavor(EmitOptions.Int8Flavor.U8U8);

    @ParameterizedTest(name = "W{0} g{1} A{2}-{3} gemm={4} opset={5} → {6}")
    @CsvSource({
            // weight-only: MatMulNBits (3 and 6 bits in 4/8-bit containers)
            "8,0,16,,false,21,com.microsoft:MatMulNBits",
            "6,0,16,,false,21,com.microsoft:MatMulNBits",
            "4,0,16,,false,21,com.microsoft:MatMulNBits",
            "3,0,16,,false,21,com.microsoft:MatMulNBits",
            "2,0,16,,false,21,com.microsoft:MatMulNBits",
            "4,128,16,,false,21,com.microsoft:MatMulNBits",
            "4,32,16,,false,17,com.microsoft:MatMulNBits",
            "3,64,16,,false,21,com.microsoft:MatMulNBits",
            "2,128,16,,true,21,com.microsoft:MatMulNBits",
            "8,128,16,,false,21,com.microsoft:MatMulNBits",
            // static 8-bit activations, per-channel weights: QDQ fused to MatMulIntegerToFloat
            "8,0,8,tensor,false,21,com.microsoft:MatMulIntegerToFloat",
            "4,0,8,tensor,false,21,com.microsoft:MatMulIntegerToFloat",
            "6,0,8,tensor,true,17,com.microsoft:QGemm",
            // per-token or sub-8-bit activations: integer codes in the graph, MatMulInteger
            "8,0,8,token,false,21,MatMulInteger",
            "4,0,8,token,false,17,MatMulInteger",
            "8,0,6,tensor,false,21,MatMulInteger",
            "4,0,4,token,true,21,MatMulInteger",
            "3,0,4,tensor,false,21,MatMulInteger",
            // grouped weights with quantized activations: activation fake-quant + MatMulNBits
            "4,128,8,tensor,false,21,com.microsoft:MatMulNBits",
            "4,64,8,token,false,21,com.microsoft:MatMulNBits",
            "3,32,6,tensor,false,17,com.microsoft:MatMulNBits",
    })
    void emittedGraphRunsInOrtAndMatchesTheJavaReference(int wbits, int group, int abits, String granularity, boolean gemm,
                                                         int opset, String expectedKernel) {
        Case c = linearCase(gemm, opset, 31L * wbits + group + abits);
        QuantizedWeights qw = RtnQuantizer.quantize(c.w(), OUT, IN, new WeightSpec(wbits, group));
        ActivationSpec act = ActivationSpec.of(abits, granularity == null ? null : Granularity.parse(granularity));
        ActivationParams params = act.isFloat() || act.granularity() == Granularity.TOKEN ? null : staticParams(c.x(), abits);
        QuantizedLayer q = new QuantizedLayer(c.layer(), qw, act, params);
        float[] reference = FakeQuantLinear.forward(c.x(), c.rows(), qw, act, params, c.bias());

        // accuracy_level 0 and u8×u8 for 8×8: exact kernels on any CPU
        EmittedModel real = OnnxEmitter.emit(c.model(), List.of(q), EXACT_AS_STORED);
        float[] y = runOrt(c, real.model());
        double scale = maxAbs(reference);
        double diff = ErrorMetrics.maxAbsDiff(reference, y);
        assertTrue(diff <= 2e-5 * scale, "ORT vs Java reference: max |diff| " + diff + " (output max " + scale + ")");

        Map<String, Integer> ops = OptimizedGraphs.runtimeOpTypeCounts(real.model());
        assertTrue(ops.containsKey(expectedKernel), "expected " + expectedKernel + " in the optimised graph, got " + ops);
        assertFalse(ops.containsKey("MatMul") || ops.containsKey("Gemm"), "a float product is left: " + ops);
        assertEquals(1, real.kernels().size());
        LayerKernel k = real.kernels().get(0);
        boolean levelsEmulated = wbits == 3 || wbits == 6;
        boolean activationEmulated = !act.isFloat() && group != 0;
        boolean narrowerThanInt8Kernel = !act.isFloat() && (wbits != 8 || abits != 8);
        assertEquals(levelsEmulated || activationEmulated || narrowerThanInt8Kernel, k.emulated(), k.toString());

        // the fake-quant graph computes the same thing in float
        EmittedModel fake = OnnxEmitter.emit(c.model(), List.of(q), EmitOptions.FAKE_QUANT);
        float[] yf = runOrt(c, fake.model());
        assertTrue(ErrorMetrics.maxAbsDiff(reference, yf) <= 2e-5 * scale, "fake-quant graph vs Java reference");
    }

    @Test
    void kernelGranularityQuantizesActivationsInsideMatMulNBitsAsTheJavaReferenceDoes() {
        Case c = linearCase(false, 21, 5);
        QuantizedWeights qw = RtnQuantizer.quantize(c.w(), OUT, IN, WeightSpec.grouped(4, 128));
        ActivationSpec kernel = ActivationSpec.of(8, Granularity.KERNEL);
        QuantizedLayer q = new QuantizedLayer(c.layer(), qw, kernel, null);
        EmittedModel m = OnnxEmitter.emit(c.model(), List.of(q), EmitOptions.DEFAULTS);
        assertEquals("MatMulNBits(accuracy_level=4)", m.kernels().get(0).kernel());
        float[] y = runOrt(c, m.model());
        float[] floatActs = FakeQuantLinear.forward(c.x(), c.rows(), qw, ActivationSpec.FLOAT, null, c.bias());
        float[] blockInt8 = FakeQuantLinear.forward(c.x(), c.rows(), qw, kernel, null, c.bias());
        double vsFloat = ErrorMetrics.relativeError(floatActs, y);
        double vsReference = ErrorMetrics.relativeError(blockInt8, y);
        assertTrue(vsFloat > 0 && vsFloat < 2e-2, "int8 activations inside MatMulNBits differ from float ones: " + vsFloat);
        assertTrue(vsReference < vsFloat / 3, "the kernel quantizes per row and block as the Java reference: "
                + vsReference + " vs float activations " + vsFloat);
        assertThrows(IllegalArgumentException.class, () -> OnnxEmitter.emit(c.model(), List.of(q), EmitOptions.FAKE_QUANT));
    }

    @Test
    void floatActivationsRunMatMulNBitsInFloatOnEveryCpu() {
        Case c = linearCase(false, 21, 5);
        QuantizedLayer q = new QuantizedLayer(c.layer(), RtnQuantizer.quantize(c.w(), OUT, IN, WeightSpec.grouped(4, 128)),
                ActivationSpec.FLOAT, null);
        EmittedModel m = OnnxEmitter.emit(c.model(), List.of(q), EmitOptions.DEFAULTS);
        assertEquals("MatMulNBits(accuracy_level=0)", m.kernels().get(0).kernel());
    }

    @Test
    void fullRangeInt8WeightsWithUint8ActivationsSaturateOnAvx2WithoutVnni() {
        CpuFeatures cpu = CpuFeatures.current();
        org.junit.jupiter.api.Assumptions.assumeFalse(cpu.hasVnni(), "this CPU has VNNI: u8×s8 is exact here");
        Case c = linearCase(false, 21, 8);
        // activations near the top of their range and pairs of neighbouring weights at +max|w|: 2·255·127 > 32767
        Random r = new Random(2);
        float[] x = new float[c.x().length];
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.9f + 0.1f * r.nextFloat();
        }
        float[] w = c.w().clone();
        for (int n = 0; n < OUT; n++) {
            w[n * IN + 2 * n] = 0.2f;
            w[n * IN + 2 * n + 1] = 0.2f;
        }
        ModelProto model = TestModels.linear(w, c.bias(), IN, OUT, false, 21);
        Case big = new Case(model, LinearLayer.findAll(model).get(0), w, c.bias(), x, c.rows());
        c = big;
        QuantizedWeights qw = RtnQuantizer.quantize(w, OUT, IN, WeightSpec.perChannel(8));
        ActivationParams p = staticParams(x, 8);
        QuantizedLayer q = new QuantizedLayer(c.layer(), qw, ActivationSpec.of(8, Granularity.TENSOR), p);
        float[] reference = FakeQuantLinear.forward(x, c.rows(), qw, q.activations(), p, c.bias());
        double scale = maxAbs(reference);
        EmittedModel signed = OnnxEmitter.emit(c.model(), List.of(q), EmitOptions.DEFAULTS); // the file on every CPU
        EmittedModel unsigned = OnnxEmitter.emit(c.model(), List.of(q), EXACT_AS_STORED);
        assertTrue(signed.signedInt8Weights());
        assertFalse(unsigned.signedInt8Weights());
        double dSigned = ErrorMetrics.maxAbsDiff(reference, Ort.runAsStored(signed.model(), "X", x, B, T, IN));
        double dLoaded = ErrorMetrics.maxAbsDiff(reference, runOrt(big, signed.model()));
        assertTrue(dLoaded <= 2e-5 * scale, "u8×s8 weights as qwm loads them here (u8×u8) must be exact: " + dLoaded);
        double dUnsigned = ErrorMetrics.maxAbsDiff(reference, runOrt(big, unsigned.model()));
        assertTrue(dUnsigned <= 2e-5 * scale, "u8×u8 must be exact: " + dUnsigned);
        assertTrue(dSigned > 1e-3 * scale, "expected u8×s8 saturation on this CPU, max diff only " + dSigned);
    }

    @Test
    void fourBitGroupedModelIsReallySmallerOnDisk() {
        int in = 1024;
        int out = 1024;
        Random r = new Random(3);
        float[] w = TestModels.gaussian(out * in, r, 0.03);
        ModelProto m = TestModels.linear(w, null, in, out, false, 21);
        LinearLayer layer = LinearLayer.findAll(m).get(0);
        QuantizedWeights qw = RtnQuantizer.quantize(w, out, in, WeightSpec.grouped(4, 128));
        EmittedModel e = OnnxEmitter.emit(m, List.of(new QuantizedLayer(layer, qw, ActivationSpec.FLOAT, null)), EmitOptions.DEFAULTS);
        long fp = m.getSerializedSize();
        long q4 = e.model().getSerializedSize();
        // 4 bits + one float32 scale per 128 weights = 4.25 bits/weight: 0.133 of float32
        assertTrue(q4 < 0.14 * fp, "4-bit model " + q4 + " bytes vs float " + fp);
        assertTrue(GraphIndex.of(e.model()).initializer("layer/weight").isEmpty(), "the float weights must be gone");
        assertEquals(qw.packedBytes(), e.kernels().get(0).weightBytes());
    }

    @Test
    void blockSizeStoresWeightsInTheFewestBytes() {
        // the shipped small predictor's widths: 84 (= 64 + 10 + 10) and 168
        QuantizedWeights perChannel84 = RtnQuantizer.quantize(new float[16 * 84], 16, 84, WeightSpec.perChannel(4));
        assertEquals(32, NBitsPacking.chooseBlock(perChannel84, 4, 128)); // 3 blocks of 32: 12 padded, not 44
        QuantizedWeights g128on84 = RtnQuantizer.quantize(new float[16 * 84], 16, 84, WeightSpec.grouped(4, 128));
        assertEquals(32, NBitsPacking.chooseBlock(g128on84, 4, 128));
        QuantizedWeights g128on168 = RtnQuantizer.quantize(new float[16 * 168], 16, 168, WeightSpec.grouped(4, 128));
        assertEquals(64, NBitsPacking.chooseBlock(g128on168, 4, 128)); // must divide the group: 3 blocks of 64
        QuantizedWeights g128on1024 = RtnQuantizer.quantize(new float[4 * 1024], 4, 1024, WeightSpec.grouped(4, 128));
        assertEquals(128, NBitsPacking.chooseBlock(g128on1024, 4, 128));
    }

    @Test
    void layersSharingAnInputShareItsQuantization() {
        // two blocks' fc1 and fc2 in the MLP model; quantize fc1 of block 0 and the sibling-free fc2
        var block = TestModels.mlpBlock(64, 128, 8f, 1);
        ModelProto m = TestModels.mlpModel(block, block);
        List<LinearLayer> layers = LinearLayer.findAll(m);
        assertEquals(4, layers.size());
        List<QuantizedLayer> q = layers.stream().map(l -> new QuantizedLayer(l,
                RtnQuantizer.quantize(l.readWeightsOutIn(GraphIndex.of(m)), l.outFeatures(), l.inFeatures(), WeightSpec.perChannel(8)),
                ActivationSpec.of(8, Granularity.TOKEN), null)).toList();
        EmittedModel e = OnnxEmitter.emit(m, q, EmitOptions.DEFAULTS);
        float[] x = TestModels.inputs(10, 64, 4);
        float[] y = Ort.run(e.model(), "X", x, 2, 5, 64);
        float[] yf = Ort.run(m, "X", x, 2, 5, 64);
        assertTrue(ErrorMetrics.sqnrDb(yf, y) > 30, "W8A8 per-token on an MLP keeps > 30 dB: " + ErrorMetrics.sqnrDb(yf, y));
        assertEquals(4, OptimizedGraphs.runtimeOpTypeCounts(e.model()).get("MatMulInteger"));
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
