package dev.qwm.quant.emit;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.qwm.onnx.graph.GraphEditor;
import dev.qwm.onnx.graph.TensorData;
import dev.qwm.quant.core.ActivationParams;

import java.util.List;

import static dev.qwm.onnx.graph.Nodes.intAttr;
import static dev.qwm.onnx.graph.Nodes.intsAttr;
import static dev.qwm.onnx.graph.Nodes.node;

/**
 * ONNX ops that quantize an activation the way {@link ActivationParams} does in Java: QuantizeLinear with a given
 * scale and zero point (clipped below 8 bits), or per-token parameters computed from each row's min and max.
 * Nodes and initializers are appended to the caller's lists; names come from the editor.
 */
public final class ActivationOps {

    /** Names of the per-token tensors: float and uint8 codes, scale, zero point as float and int32 (all [..., 1] but codes). */
    public record TokenCodes(String codesF, String codesU8, String scale, String zeroPointF, String zeroPointI32) {
    }

    private final GraphEditor editor;
    private final long opset;

    public ActivationOps(GraphEditor editor, long opset) {
        this.editor = editor;
        this.opset = opset;
    }

    /** uint8 codes: QuantizeLinear(x, scale, zp), then Clip to [0, 2^bits − 1] below 8 bits. */
    public String codes(String x, String scale, String zeroPoint, int bits, List<NodeProto> nodes, List<TensorProto> inits, String p) {
        String codes = editor.freshName(p + "/x_codes");
        nodes.add(node("QuantizeLinear", editor.freshName(p + "/quantize_x"), List.of(x, scale, zeroPoint), List.of(codes)));
        if (bits < 8) {
            TensorProto lo = TensorData.uint8s(editor.freshName(p + "/code_min"), new byte[]{0});
            TensorProto hi = TensorData.uint8s(editor.freshName(p + "/code_max"), new byte[]{(byte) ((1 << bits) - 1)});
            inits.add(lo);
            inits.add(hi);
            String clipped = editor.freshName(p + "/x_codes_" + bits + "bit");
            nodes.add(node("Clip", editor.freshName(p + "/clip_codes"), List.of(codes, lo.getName(), hi.getName()), List.of(clipped)));
            codes = clipped;
        }
        return codes;
    }

    public String dequantize(String codes, String scale, String zeroPoint, List<NodeProto> nodes, String p) {
        String out = editor.freshName(p + "/x_fake_quant");
        nodes.add(node("DequantizeLinear", editor.freshName(p + "/dequantize_x"), List.of(codes, scale, zeroPoint), List.of(out)));
        return out;
    }

    /**
     * Per-token asymmetric parameters and codes, as {@link ActivationParams#fakeQuantPerToken} computes them:
     * lo = min(min_row, 0), hi = max(max_row, 0), scale = max((hi − lo)/qmax, 1e-5), zp = clamp(rint(−lo/scale)),
     * code = clamp(rint(x/scale) + zp, 0, qmax).
     */
    public TokenCodes tokenCodes(String x, int bits, List<NodeProto> nodes, List<TensorProto> inits, String p) {
        float qmax = (1 << bits) - 1;
        TensorProto zero = TensorData.floats(editor.freshName(p + "/zero"), new float[]{0f});
        TensorProto qmaxT = TensorData.floats(editor.freshName(p + "/qmax"), new float[]{qmax});
        TensorProto minScale = TensorData.floats(editor.freshName(p + "/min_scale"), new float[]{ActivationParams.MIN_SCALE});
        inits.add(zero);
        inits.add(qmaxT);
        inits.add(minScale);
        String rowMin = reduceLastAxis("ReduceMin", x, nodes, inits, p);
        String rowMax = reduceLastAxis("ReduceMax", x, nodes, inits, p);
        String lo = binary("Min", rowMin, zero.getName(), nodes, p + "/lo");
        String hi = binary("Max", rowMax, zero.getName(), nodes, p + "/hi");
        String range = binary("Sub", hi, lo, nodes, p + "/range");
        String rawScale = binary("Div", range, qmaxT.getName(), nodes, p + "/raw_scale");
        String scale = binary("Max", rawScale, minScale.getName(), nodes, p + "/token_scale");
        String negLo = unary("Neg", lo, nodes, p + "/neg_lo");
        String zpRaw = unary("Round", binary("Div", negLo, scale, nodes, p + "/zp_ratio"), nodes, p + "/zp_round");
        String zpF = editor.freshName(p + "/token_zero_point");
        nodes.add(node("Clip", editor.freshName(p + "/clip_zp"), List.of(zpRaw, zero.getName(), qmaxT.getName()), List.of(zpF)));
        String xr = unary("Round", binary("Div", x, scale, nodes, p + "/x_ratio"), nodes, p + "/x_round");
        String shifted = binary("Add", xr, zpF, nodes, p + "/x_shifted");
        String codesF = editor.freshName(p + "/token_codes");
        nodes.add(node("Clip", editor.freshName(p + "/clip_codes"), List.of(shifted, zero.getName(), qmaxT.getName()), List.of(codesF)));
        String codesU8 = cast(codesF, TensorProto.DataType.UINT8_VALUE, nodes, p);
        String zpI32 = cast(zpF, TensorProto.DataType.INT32_VALUE, nodes, p);
        return new TokenCodes(codesF, codesU8, scale, zpF, zpI32);
    }

    /** (code − zp)·scale of per-token codes. */
    public String tokenDequantize(TokenCodes t, List<NodeProto> nodes, String p) {
        String centered = binary("Sub", t.codesF(), t.zeroPointF(), nodes, p + "/x_centered");
        return binary("Mul", centered, t.scale(), nodes, p + "/x_fake_quant");
    }

    public String cast(String x, int to, List<NodeProto> nodes, String p) {
        String out = editor.freshName(x + "_as_" + TensorData.typeName(to).toLowerCase());
        nodes.add(node("Cast", editor.freshName(p + "/cast"), List.of(x), List.of(out), intAttr("to", to)));
        return out;
    }

    private String reduceLastAxis(String op, String x, List<NodeProto> nodes, List<TensorProto> inits, String p) {
        String out = editor.freshName(p + "/" + op.toLowerCase());
        if (opset >= 18) {
            TensorProto axes = TensorData.int64s(editor.freshName(p + "/last_axis"), new long[]{-1}, 1);
            inits.add(axes);
            nodes.add(node(op, editor.freshName(p + "/" + op), List.of(x, axes.getName()), List.of(out), intAttr("keepdims", 1)));
        } else {
            nodes.add(node(op, editor.freshName(p + "/" + op), List.of(x), List.of(out), intsAttr("axes", -1), intAttr("keepdims", 1)));
        }
        return out;
    }

    private String binary(String op, String a, String b, List<NodeProto> nodes, String name) {
        String out = editor.freshName(name);
        nodes.add(node(op, editor.freshName(name + "/" + op), List.of(a, b), List.of(out)));
        return out;
    }

    private String unary(String op, String a, List<NodeProto> nodes, String name) {
        String out = editor.freshName(name);
        nodes.add(node(op, editor.freshName(name + "/" + op), List.of(a), List.of(out)));
        return out;
    }
}
