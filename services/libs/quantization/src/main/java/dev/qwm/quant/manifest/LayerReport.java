package dev.qwm.quant.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.qwm.quant.emit.LayerKernel;

/**
 * One quantized layer in the manifest.
 *
 * @param weightMse       mean squared error of the quantized weights against the (transformed) float weights
 * @param outputMse       mean squared error of the layer output on calibration rows, against the float layer
 * @param outputSqnrDb    signal-to-quantization-noise ratio of that output, in dB
 * @param calibrationRows rows the output error was measured on
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LayerReport(String layer, int inFeatures, int outFeatures, String method, String weights,
                          String activations, String transform, LayerKernel kernel, double weightMse,
                          Double outputMse, Double outputSqnrDb, Integer calibrationRows, String note) {
}
