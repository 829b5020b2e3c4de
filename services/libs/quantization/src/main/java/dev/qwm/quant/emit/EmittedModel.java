package dev.qwm.quant.emit;

import ai.onnx.proto.OnnxMl.ModelProto;

import java.util.List;

/**
 * A quantized graph and how each of its quantized layers runs.
 *
 * @param accuracyLevel the accuracy_level of its MatMulNBits layers (the highest where the automatic choice differs
 *                      between layers; each layer's is in its kernel), -1 when it has none
 */
public record EmittedModel(ModelProto model, List<LayerKernel> kernels, int accuracyLevel, boolean signedInt8Weights) {
}
