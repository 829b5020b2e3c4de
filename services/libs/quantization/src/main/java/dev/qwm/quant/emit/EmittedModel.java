package dev.qwm.quant.emit;

import ai.onnx.proto.OnnxMl.ModelProto;

import java.util.List;

/** A quantized graph and how each of its quantized layers runs. */
public record EmittedModel(ModelProto model, List<LayerKernel> kernels, int accuracyLevel, boolean signedInt8Weights) {
}
