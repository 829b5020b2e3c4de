package dev.qwm.quant.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Map;

/**
 * The quantization of one module (bundle component).
 *
 * @param runtimeOps        op counts of the graph ONNX Runtime runs after its optimisations (fused kernels)
 * @param unfusedDequantize DequantizeLinear nodes left in that graph feeding a float MatMul/Gemm (0 when every QDQ
 *                          pair was fused into an integer kernel)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModuleReport(String module, String component, List<LayerReport> layers, List<GroupReport> groups,
                           List<String> floatLayers, long bytesBefore, long bytesAfter, long weightBytesBefore,
                           long weightBytesAfter, int accuracyLevel, boolean signedInt8Weights,
                           Map<String, Integer> runtimeOps, int unfusedDequantize) {
}
