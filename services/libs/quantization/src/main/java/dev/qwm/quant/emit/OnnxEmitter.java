package dev.qwm.quant.emit;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.qwm.onnx.graph.AttentionCores;
import dev.qwm.onnx.graph.GraphEditor;
import dev.qwm.onnx.graph.LinearLayer;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.graph.TensorData;
import dev.qwm.quant.core.ActivationParams;
import dev.qwm.quant.core.MatMulNBitsBlocks;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.recipe.ActivationSpec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.qwm.onnx.graph.Nodes.intAttr;
import static dev.qwm.onnx.graph.Nodes.node;

/**
 * Writes quantized linear layers into an ONNX graph, using ONNX Runtime's integer kernels where a format has one
 * (docs/reference/runtimes.md) and emulating it in the graph where not:
 * <ul>
 * <li>weight-only (A16): {@code com.microsoft:MatMulNBits} with 2-, 4- or 8-bit blocks, accuracy_level 0 (float
 * activations); 3-bit levels go in 4-bit blocks and 6-bit levels in 8-bit blocks (exact levels, the container's
 * size);</li>
 * <li>activations quantized inside the kernel (granularity {@code kernel}): the same MatMulNBits at accuracy_level 4,
 * only when the recipe names it;</li>
 * <li>per-channel weights with 8-bit per-tensor static activations: the QDQ form (QuantizeLinear → DequantizeLinear
 * on the input, DequantizeLinear on int8 weights, MatMul) that ORT fuses into MatMulIntegerToFloat;</li>
 * <li>per-channel weights with per-token or 4/6-bit activations: the integer codes are computed in the graph
 * (per-token scale and zero point from ReduceMin/ReduceMax) and multiplied by MatMulInteger, the zero-point term
 * subtracted in int32, then rescaled in float;</li>
 * <li>grouped weights with quantized activations: no ORT kernel takes both, so the activation is fake-quantized
 * (quantize-dequantize) and the weights run in MatMulNBits;</li>
 * <li>{@link EmitOptions#fakeQuant()}: every layer as float quantize-dequantize, the reference semantics.</li>
 * </ul>
 * Attention cores named by the recipe ({@code attention: int8}, {@link QuantizedAttention}) get their two activation
 * products as {@code com.microsoft:MatMulIntegerToFloat} of uint8 codes from static QuantizeLinear: u8×u8 on every
 * CPU, whose int32 sums are exact everywhere (u8×s8 would need signed codes of an activation, and saturates on AVX2
 * without VNNI), then scaled in float by the product of the two scales (and of the score scale, folded in).
 * Full-range 8-bit weights that meet 8-bit activations are stored as {@link EmitOptions#int8Flavor()} says, by
 * default int8 codes (u8×s8) whatever CPU quantizes, so the file is the same everywhere; ORT's u8×s8 path saturates
 * 16-bit pair sums on AVX2 without VNNI, so the load runs them u8×u8 where u8×s8 is not exact on the CPU that runs
 * them ({@code KernelChoice}). Narrower weights (≤ 7 bits) cannot saturate. Both storages hold the same codes and
 * give the same integers: the CPU picks a kernel variant, never the numbers.
 */
public final class OnnxEmitter {

    private final GraphEditor editor;
    private final EmitOptions options;
    private final long defaultOpset;
    private final ActivationOps ops;
    private final Map<String, String> sharedActivations = new HashMap<>();
    private final Map<String, ActivationOps.TokenCodes> sharedTokenCodes = new HashMap<>();
    private final List<LayerKernel> kernels = new ArrayList<>();
    private boolean usesContribOps;

    private OnnxEmitter(ModelProto model, EmitOptions options) {
        this.editor = GraphEditor.of(model);
        this.options = options;
        this.defaultOpset = OnnxModels.opsetVersion(model, OnnxModels.DEFAULT_DOMAIN);
        this.ops = new ActivationOps(editor, defaultOpset);
    }

    public static EmittedModel emit(ModelProto model, List<QuantizedLayer> layers, EmitOptions options) {
        return emit(model, layers, List.of(), options);
    }

    public static EmittedModel emit(ModelProto model, List<QuantizedLayer> layers, List<QuantizedAttention> attention,
                                    EmitOptions options) {
        OnnxEmitter e = new OnnxEmitter(model, options);
        e.editor.requireOpset(OnnxModels.DEFAULT_DOMAIN, 13, "per-channel DequantizeLinear");
        List<QuantizedLayer> ordered = new ArrayList<>(layers);
        // Graph order, so that an activation quantized for several layers is computed before its first consumer.
        ordered.sort(Comparator.comparingInt(l -> e.editor.indexOfNode(l.layer().name())));
        for (QuantizedLayer l : ordered) {
            e.emitLayer(l);
        }
        for (QuantizedAttention a : attention) {
            e.emitAttention(a);
        }
        if (e.usesContribOps) {
            e.editor.requireOpset(OnnxModels.MICROSOFT_DOMAIN, 1, "MatMulNBits");
        }
        e.editor.pruneUnusedInitializers();
        return new EmittedModel(e.editor.build(), List.copyOf(e.kernels), options.signedFullRangeWeights());
    }

    private void emitLayer(QuantizedLayer q) {
        LinearLayer layer = q.layer();
        ActivationSpec act = q.activations();
        List<NodeProto> nodes = new ArrayList<>();
        List<TensorProto> inits = new ArrayList<>();
        // Gemm's bias is re-added after the product; a MatMul keeps its own output name (its bias Add stays).
        boolean gemmBias = layer.opType().equals("Gemm") && layer.biasName() != null;
        String product = gemmBias ? editor.freshName(layer.name() + "/product") : layer.outputName();
        String p = layer.name() + "/q";
        LayerKernel kernel;
        if (options.fakeQuant() && act.inKernel()) {
            throw new IllegalArgumentException("layer '" + layer.name() + "': activations quantized inside the kernel "
                    + "(granularity 'kernel') have no float fake-quant form; emit the integer graph");
        }
        if (options.fakeQuant()) {
            String x = act.isFloat() ? layer.inputName() : fakeQuantActivation(q, nodes, inits, p);
            TensorProto w = TensorData.floats(editor.freshName(p + "/w_fq"),
                    LinearLayer.transpose(q.weights().dequantize(), layer.outFeatures(), layer.inFeatures()),
                    layer.inFeatures(), layer.outFeatures());
            inits.add(w);
            nodes.add(node("MatMul", editor.freshName(p + "/matmul"), List.of(x, w.getName()), List.of(product)));
            kernel = new LayerKernel(layer.name(), "MatMul", "float32 (fake-quantized values)", q.weights().spec().bits(), 32,
                    act.isFloat() ? "float" : "fake-quant in float (" + act + ")", true, bytes(inits));
        } else if (act.isFloat()) {
            kernel = matMulNBits(q, layer.inputName(), product, nodes, inits, p, EmitOptions.FLOAT_ACCURACY_LEVEL, "float");
        } else if (act.inKernel()) {
            kernel = matMulNBits(q, layer.inputName(), product, nodes, inits, p, EmitOptions.INT8_ACCURACY_LEVEL,
                    "int8 per row and block, symmetric, inside MatMulNBits (dynamic)");
        } else if (q.weights().layout().groupsPerRow() == 1) {
            // per channel, or a group at least as wide as the row: one scale per output channel either way
            kernel = act.bits() == 8 && act.granularity() == ActivationSpec.Granularity.TENSOR
                    ? qdq(q, product, nodes, inits, p)
                    : integerCodes(q, product, nodes, inits, p);
        } else {
            String x = fakeQuantActivation(q, nodes, inits, p);
            kernel = matMulNBits(q, x, product, nodes, inits, p, EmitOptions.FLOAT_ACCURACY_LEVEL, "fake-quant " + act + " (no ORT kernel takes grouped weights with quantized activations)");
            kernel = new LayerKernel(kernel.layer(), kernel.kernel(), kernel.weightStorage(), kernel.weightBits(),
                    kernel.storageBits(), kernel.activationPath(), true, kernel.weightBytes());
        }
        if (gemmBias) {
            nodes.add(node("Add", editor.freshName(p + "/bias"), List.of(product, layer.biasName()), List.of(layer.outputName())));
        }
        inits.forEach(editor::putInitializer);
        editor.replaceNode(layer.name(), nodes);
        kernels.add(kernel);
    }

    // ---- attention's activation products: u8×u8 MatMulIntegerToFloat ------------------------------------------

    private void emitAttention(QuantizedAttention a) {
        AttentionCores.Core c = a.core();
        String p = c.softmax() + "/int8";
        if (options.fakeQuant() || c.scaleNode() == null) {
            product(c.scoresMatMul(), c.query(), a.query(), 1f, c.key(), a.key(), c.scores(), p + "/scores");
        } else {
            // the score scale folded into the product's scale (one pass over the scores less), as the recipe's numbers
            product(c.scoresMatMul(), c.query(), a.query(), c.scaleFactor(), c.key(), a.key(), c.scaled(), p + "/scores");
            editor.removeNode(c.scaleNode());
        }
        product(c.valueMatMul(), c.probabilities(), a.probabilities(), 1f, c.value(), a.value(), c.context(), p + "/context");
    }

    /**
     * The MatMul node {@code matMul} (x·y) as a product of x's and y's uint8 codes, times {@code factor}, into
     * {@code out} (or as their fake quantization, without the factor).
     */
    private void product(String matMul, String x, ActivationParams xp, float factor, String y, ActivationParams yp,
                         String out, String p) {
        List<NodeProto> nodes = new ArrayList<>();
        List<TensorProto> inits = new ArrayList<>();
        String xq = quantizeLinear(x, xp, nodes, inits, p + "/a");
        String yq = quantizeLinear(y, yp, nodes, inits, p + "/b");
        if (options.fakeQuant()) {
            String xf = ops.dequantize(xq, sharedActivations.get(xq + "#scale"), sharedActivations.get(xq + "#zp"), nodes, p + "/a");
            String yf = ops.dequantize(yq, sharedActivations.get(yq + "#scale"), sharedActivations.get(yq + "#zp"), nodes, p + "/b");
            nodes.add(node("MatMul", editor.freshName(p + "/matmul"), List.of(xf, yf), List.of(out)));
        } else {
            String xScale = sharedActivations.get(xq + "#scale");
            if (factor != 1f) {
                TensorProto s = TensorData.floats(editor.freshName(p + "/a_scale_times_score_scale"), new float[]{xp.scale() * factor});
                inits.add(s);
                xScale = s.getName();
            }
            nodes.add(node(OnnxModels.MICROSOFT_DOMAIN, "MatMulIntegerToFloat", editor.freshName(p + "/matmul_integer_to_float"),
                    List.of(xq, yq, xScale, sharedActivations.get(yq + "#scale"),
                            sharedActivations.get(xq + "#zp"), sharedActivations.get(yq + "#zp")), List.of(out)));
            usesContribOps = true;
        }
        inits.forEach(editor::putInitializer);
        editor.replaceNode(matMul, nodes);
    }

    // ---- weight-only and grouped: MatMulNBits --------------------------------------------------------------------

    private LayerKernel matMulNBits(QuantizedLayer q, String x, String y, List<NodeProto> nodes, List<TensorProto> inits,
                                    String p, int accuracyLevel, String activationPath) {
        QuantizedWeights w = q.weights();
        int container = NBitsPacking.containerBits(w.spec().bits());
        // in-kernel int8 activations are quantized per block: their block is the recipe's, not an option
        int block = accuracyLevel == EmitOptions.INT8_ACCURACY_LEVEL ? MatMulNBitsBlocks.blockOf(w)
                : NBitsPacking.chooseBlock(w, container, options.perChannelBlockSize());
        NBitsPacking packed = NBitsPacking.pack(w, container, block);
        TensorProto b = TensorData.uint8s(editor.freshName(p + "/B"), packed.packed(), w.out(), packed.blocksPerRow(), packed.blobSize());
        TensorProto s = TensorData.floats(editor.freshName(p + "/scales"), packed.scales(), packed.scales().length);
        inits.add(b);
        inits.add(s);
        nodes.add(node(OnnxModels.MICROSOFT_DOMAIN, "MatMulNBits", editor.freshName(p + "/matmulnbits"),
                List.of(x, b.getName(), s.getName()), List.of(y),
                intAttr("K", w.in()), intAttr("N", w.out()), intAttr("bits", container), intAttr("block_size", block),
                intAttr("accuracy_level", accuracyLevel)));
        usesContribOps = true;
        String storage = "uint" + container + " blocks of " + block
                + (block < w.layout().length() ? " (each scale repeated over the blocks of its " + (w.layout().groupsPerRow() == 1 ? "channel)" : "group)") : "")
                + (container != w.spec().bits() ? ", " + w.spec().bits() + "-bit levels" : "");
        return new LayerKernel(q.layer().name(), "MatMulNBits(accuracy_level=" + accuracyLevel + ")", storage,
                w.spec().bits(), container, activationPath, container != w.spec().bits(), bytes(inits));
    }

    // ---- per-channel weights, 8-bit static activations: QDQ → MatMulIntegerToFloat ------------------------------

    private LayerKernel qdq(QuantizedLayer q, String y, List<NodeProto> nodes, List<TensorProto> inits, String p) {
        LinearLayer layer = q.layer();
        ActivationParams a = q.staticParams();
        String xq = quantizeLinear(layer.inputName(), a, nodes, inits, p);
        String xs = sharedActivations.get(xq + "#scale");
        String xzp = sharedActivations.get(xq + "#zp");
        String xdq = editor.freshName(p + "/x_dq");
        nodes.add(node("DequantizeLinear", editor.freshName(p + "/dequantize_x"), List.of(xq, xs, xzp), List.of(xdq)));
        boolean unsigned = needsUnsignedWeights(q);
        // A Gemm stays a Gemm (weights [N, K], transB): ORT fuses QDQ Gemm into QGemm. Written as MatMul + Add on a
        // 2-D input, ORT would first fuse MatMul + Add into a float-bias Gemm, which its QDQ rules then skip.
        boolean gemm = layer.opType().equals("Gemm");
        WeightTensors wt = weightTensors(q.weights(), unsigned, true, gemm, p, inits);
        String wdq = editor.freshName(p + "/w_dq");
        nodes.add(node("DequantizeLinear", editor.freshName(p + "/dequantize_w"), List.of(wt.codes, wt.scales, wt.zeroPoints),
                List.of(wdq), intAttr("axis", gemm ? 0 : 1)));
        if (gemm) {
            nodes.add(node("Gemm", editor.freshName(p + "/gemm"), List.of(xdq, wdq), List.of(y), intAttr("transB", 1)));
        } else {
            nodes.add(node("MatMul", editor.freshName(p + "/matmul"), List.of(xdq, wdq), List.of(y)));
        }
        return new LayerKernel(layer.name(), gemm ? "QGemm (fused from QDQ)" : "MatMulIntegerToFloat (fused from QDQ)",
                wt.describe, q.weights().spec().bits(), 8,
                "QuantizeLinear uint8 per-tensor (static)", q.weights().spec().bits() != 8, bytes(inits));
    }

    // ---- per-channel weights, per-token or sub-8-bit activations: codes in the graph → MatMulInteger -------------

    private LayerKernel integerCodes(QuantizedLayer q, String y, List<NodeProto> nodes, List<TensorProto> inits, String p) {
        LinearLayer layer = q.layer();
        ActivationSpec act = q.activations();
        QuantizedWeights w = q.weights();
        boolean unsigned = needsUnsignedWeights(q);
        WeightTensors wt = weightTensors(w, unsigned, false, false, p, inits);
        String acc = editor.freshName(p + "/acc_i32");
        String path;
        if (act.granularity() == ActivationSpec.Granularity.TENSOR) {
            ActivationParams a = q.staticParams();
            String codes = quantizeLinear(layer.inputName(), a, nodes, inits, p);
            List<String> in = new ArrayList<>(List.of(codes, wt.codes, sharedActivations.get(codes + "#zp")));
            if (unsigned) {
                in.add(wt.zeroPoints);
            }
            nodes.add(node("MatMulInteger", editor.freshName(p + "/matmulinteger"), in, List.of(acc)));
            String accF = cast(acc, 1, nodes, p);
            float[] s = new float[w.out()];
            for (int n = 0; n < w.out(); n++) {
                s[n] = a.scale() * w.scales()[n];
            }
            TensorProto scale = TensorData.floats(editor.freshName(p + "/out_scale"), s, s.length);
            inits.add(scale);
            nodes.add(node("Mul", editor.freshName(p + "/rescale"), List.of(accF, scale.getName()), List.of(y)));
            path = "QuantizeLinear uint8 per-tensor (static)" + (act.bits() < 8 ? ", clipped to " + act.bits() + "-bit codes" : "");
        } else {
            ActivationOps.TokenCodes t = tokenCodes(layer.inputName(), act.bits(), nodes, inits, p);
            List<String> in = new ArrayList<>(List.of(t.codesU8(), wt.codes));
            if (unsigned) {
                in.add("");
                in.add(wt.zeroPoints);
            }
            nodes.add(node("MatMulInteger", editor.freshName(p + "/matmulinteger"), in, List.of(acc)));
            // Σ(q − zp)·w = Σ q·w − zp·Σw, in int32 so nothing is lost
            long[] colSum = new long[w.out()];
            for (int n = 0; n < w.out(); n++) {
                for (int k = 0; k < w.in(); k++) {
                    colSum[n] += w.codes()[n * w.in() + k];
                }
            }
            int[] colSumI = new int[w.out()];
            for (int n = 0; n < w.out(); n++) {
                colSumI[n] = Math.toIntExact(colSum[n]);
            }
            TensorProto sums = TensorData.int32s(editor.freshName(p + "/w_colsum"), colSumI, colSumI.length);
            inits.add(sums);
            String zpTimesSum = editor.freshName(p + "/zp_x_colsum");
            nodes.add(node("Mul", editor.freshName(p + "/zp_colsum"), List.of(t.zeroPointI32(), sums.getName()), List.of(zpTimesSum)));
            String centered = editor.freshName(p + "/acc_centered");
            nodes.add(node("Sub", editor.freshName(p + "/sub_zp"), List.of(acc, zpTimesSum), List.of(centered)));
            String accF = cast(centered, 1, nodes, p);
            String rowScaled = editor.freshName(p + "/row_scaled");
            nodes.add(node("Mul", editor.freshName(p + "/mul_token_scale"), List.of(accF, t.scale()), List.of(rowScaled)));
            TensorProto ws = TensorData.floats(editor.freshName(p + "/w_scale"), w.scales(), w.scales().length);
            inits.add(ws);
            nodes.add(node("Mul", editor.freshName(p + "/mul_w_scale"), List.of(rowScaled, ws.getName()), List.of(y)));
            path = "per-token uint" + act.bits() + " codes computed in the graph (dynamic)";
        }
        // levels narrower than the 8-bit kernel (weights or activations) are exact but emulated in its container
        return new LayerKernel(layer.name(), "MatMulInteger", wt.describe, w.spec().bits(), 8, path,
                w.spec().bits() != 8 || act.bits() != 8, bytes(inits));
    }

    private boolean needsUnsignedWeights(QuantizedLayer q) {
        // worst u8×s8 pair sum: 2·(2^a − 1)·2^(w−1); above 32767 only for 8-bit × 8-bit
        long worst = 2L * ((1L << q.activations().bits()) - 1) * (1L << (q.weights().spec().bits() - 1));
        return worst > Short.MAX_VALUE && !options.signedFullRangeWeights();
    }

    private record WeightTensors(String codes, String scales, String zeroPoints, String describe) {
    }

    /**
     * Weight codes as int8 (or uint8 shifted by 128), [K, N] or, for a Gemm, [N, K]; per-channel scales [N] and zero
     * points.
     */
    private WeightTensors weightTensors(QuantizedWeights w, boolean unsigned, boolean perChannelZeroPoints, boolean outIn,
                                        String p, List<TensorProto> inits) {
        int in = w.in();
        int out = w.out();
        byte[] data = new byte[in * out];
        for (int n = 0; n < out; n++) {
            for (int k = 0; k < in; k++) {
                data[outIn ? n * in + k : k * out + n] = (byte) (w.codes()[n * in + k] + (unsigned ? 128 : 0));
            }
        }
        long[] dims = outIn ? new long[]{out, in} : new long[]{in, out};
        String codesName = editor.freshName(p + "/w_codes");
        TensorProto codes = unsigned ? TensorData.uint8s(codesName, data, dims) : TensorData.int8s(codesName, data, dims);
        TensorProto scales = TensorData.floats(editor.freshName(p + "/w_scales"), w.scales(), out);
        inits.add(codes);
        inits.add(scales);
        String zpName = null;
        if (perChannelZeroPoints || unsigned) {
            int count = perChannelZeroPoints ? out : 1;
            byte[] zp = new byte[count];
            if (unsigned) {
                java.util.Arrays.fill(zp, (byte) 128);
            }
            zpName = editor.freshName(p + "/w_zero_points");
            TensorProto z = unsigned
                    ? (perChannelZeroPoints ? TensorData.uint8s(zpName, zp, count) : TensorData.uint8s(zpName, zp))
                    : TensorData.int8s(zpName, zp, count);
            inits.add(z);
        }
        String describe = (unsigned ? "uint8 (code + 128)" : "int8") + (outIn ? " [N, K]" : " [K, N]") + ", scale per output channel"
                + (w.spec().bits() != 8 ? ", " + w.spec().bits() + "-bit levels" : "");
        return new WeightTensors(codes.getName(), scales.getName(), zpName, describe);
    }

    // ---- activation quantization (shared between layers reading the same tensor) ------------------------------

    /** uint8 codes of {@code x} by QuantizeLinear (clipped to 2^bits − 1 below 8 bits), shared between layers. */
    private String quantizeLinear(String x, ActivationParams a, List<NodeProto> nodes, List<TensorProto> inits, String p) {
        String key = x + "|ql|" + a;
        String existing = sharedActivations.get(key);
        if (existing != null) {
            return existing;
        }
        TensorProto scale = TensorData.floats(editor.freshName(p + "/x_scale"), new float[]{a.scale()});
        TensorProto zp = TensorData.uint8s(editor.freshName(p + "/x_zero_point"), new byte[]{(byte) a.zeroPoint()});
        inits.add(scale);
        inits.add(zp);
        String codes = ops.codes(x, scale.getName(), zp.getName(), a.bits(), nodes, inits, p);
        sharedActivations.put(key, codes);
        sharedActivations.put(codes + "#scale", scale.getName());
        sharedActivations.put(codes + "#zp", zp.getName());
        return codes;
    }

    /** The input quantized and dequantized, in float, as the recipe asks (static QDQ or per-token ops). */
    private String fakeQuantActivation(QuantizedLayer q, List<NodeProto> nodes, List<TensorProto> inits, String p) {
        String x = q.layer().inputName();
        ActivationSpec act = q.activations();
        String key = x + "|fq|" + act + "|" + q.staticParams();
        String existing = sharedActivations.get(key);
        if (existing != null) {
            return existing;
        }
        String out;
        if (act.granularity() == ActivationSpec.Granularity.TENSOR) {
            String codes = quantizeLinear(x, q.staticParams(), nodes, inits, p);
            out = ops.dequantize(codes, sharedActivations.get(codes + "#scale"), sharedActivations.get(codes + "#zp"), nodes, p);
        } else {
            out = ops.tokenDequantize(tokenCodes(x, act.bits(), nodes, inits, p), nodes, p);
        }
        sharedActivations.put(key, out);
        return out;
    }

    private ActivationOps.TokenCodes tokenCodes(String x, int bits, List<NodeProto> nodes, List<TensorProto> inits, String p) {
        return sharedTokenCodes.computeIfAbsent(x + "|token|" + bits, k -> ops.tokenCodes(x, bits, nodes, inits, p));
    }

    private String cast(String x, int to, List<NodeProto> nodes, String p) {
        return ops.cast(x, to, nodes, p);
    }

    private static long bytes(List<TensorProto> inits) {
        long b = 0;
        for (TensorProto t : inits) {
            b += TensorData.payloadBytes(t); // activation constants add a few bytes, counted where first created
        }
        return b;
    }
}
