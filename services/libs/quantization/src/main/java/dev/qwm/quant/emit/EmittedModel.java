package dev.qwm.quant.emit;

import ai.onnx.proto.OnnxMl.ModelProto;

import java.util.List;

/**
 * A quantized graph and how each of its quantized layers runs.
 *
 * @param signedInt8Weights whether full-range 8-bit weights against 8-bit activations were stored int8 (u8×s8 GEMM,
 *                          exact only with VNNI) rather than uint8 code + 128 (u8×u8): a kernel variant, same integers
 */
public record EmittedModel(ModelProto model, List<LayerKernel> kernels, boolean signedInt8Weights) {
}
