package dev.qwm.quant.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Map;

/**
 * The quantization of one module (bundle component).
 *
 * @param weightBytesBefore the weights of its linear layers in float, and {@code weightBytesAfter} the same layers as
 *                          quantized (the float ones at their float size): {@link ModuleWeightBytes}
 * @param int8Gemm          the kernel variant of full-range 8-bit × 8-bit layers on the CPU that emitted them:
 *                          {@code u8s8} (int8 weights, exact with VNNI) or {@code u8u8} (uint8 code + 128, exact
 *                          everywhere); the same integers either way; null when the module has no such layer
 * @param runtimeOps        op counts of the graph ONNX Runtime runs after its optimisations (fused kernels)
 * @param unfusedDequantize DequantizeLinear nodes left in that graph feeding a float MatMul/Gemm (0 when every QDQ
 *                          pair was fused into an integer kernel)
 * @param skipLayerNorms    LayerNormalization nodes the recipe runs as SkipLayerNormalization (recipe
 *                          {@code layerNorm: skip}), null when none
 * @param attention         attention cores whose q·kᵀ and probabilities·v run as int8 products (recipe
 *                          {@code attention: int8}), null when none (float attention, the default)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModuleReport(String module, String component, List<LayerReport> layers, List<GroupReport> groups,
                           List<String> floatLayers, long bytesBefore, long bytesAfter, long weightBytesBefore,
                           long weightBytesAfter, String int8Gemm, Map<String, Integer> runtimeOps,
                           int unfusedDequantize, List<String> skipLayerNorms, List<AttentionReport> attention) {

    /** What the module computes, one line per quantized layer, then its float layers: equal lists, equal numbers. */
    public List<String> numerics() {
        List<String> n = new java.util.ArrayList<>(layers.stream().map(LayerReport::numerics).toList());
        floatLayers.forEach(f -> n.add(f + " float"));
        if (skipLayerNorms != null) {
            skipLayerNorms.forEach(l -> n.add(l + " SkipLayerNormalization"));
        }
        if (attention != null) {
            attention.forEach(a -> n.add(a.numerics()));
        }
        return n;
    }
}
