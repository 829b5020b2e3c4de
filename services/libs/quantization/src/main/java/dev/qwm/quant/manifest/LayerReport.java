package dev.qwm.quant.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.qwm.quant.emit.LayerKernel;

/**
 * One quantized layer in the manifest: first what it computes (fixed by the recipe alone: method, formats, groups,
 * transform, and a digest of its integer codes, scales and activation parameters), then how it runs here (the
 * kernel variant, which may differ between CPUs without changing those numbers), then its measured errors.
 *
 * @param groupsPerRow    weight scales per output channel: 1 is per channel, also for a group at least as wide
 *                        as the row (a "g128" on a 64-wide layer)
 * @param numericsSha256  SHA-256 over the layer's formats, integer weight codes, weight scales and static activation
 *                        parameters: equal digests, equal numbers
 * @param weightMse       mean squared error of the quantized weights against the (transformed) float weights
 * @param outputMse       mean squared error of the layer output on calibration rows, against the float layer
 * @param outputSqnrDb    signal-to-quantization-noise ratio of that output, in dB
 * @param calibrationRows rows the output error was measured on
 * @param inputChannelRatio the largest per-channel max|x| of the layer's input on calibration data over its median
 *                        across channels: how far activation outliers stand out (SmoothQuant's problem); null
 *                        without calibration data
 * @param weightRowCrest  the median over output rows of max|w| / rms(w) of the float weights: how much of a row's
 *                        per-channel integer range its largest weight spends (low-bit rounding's problem)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LayerReport(String layer, int inFeatures, int outFeatures, String method, String weights,
                          String activations, int groupsPerRow, String transform, String numericsSha256,
                          LayerKernel kernel, double weightMse, Double outputMse, Double outputSqnrDb,
                          Integer calibrationRows, String note,
                          Double inputChannelRatio, Double weightRowCrest) {

    /** The numbers this layer computes, as one line (no kernel, no measured error). */
    public String numerics() {
        return layer + " " + method + " " + weights + " " + activations + " groups/row " + groupsPerRow
                + (transform == null ? "" : " [" + transform + "]") + " " + numericsSha256;
    }

    /** "per channel" or "N groups" (with "per channel" said where a group is at least the row's width). */
    public String groupsDescription() {
        if (groupsPerRow == 1) {
            return weights.contains("-g") ? "1 (per channel: group ≥ width " + inFeatures + ")" : "1 (per channel)";
        }
        return Integer.toString(groupsPerRow);
    }

    public LayerReport withKernel(LayerKernel k) {
        return new LayerReport(layer, inFeatures, outFeatures, method, weights, activations, groupsPerRow, transform,
                numericsSha256, k, weightMse, outputMse, outputSqnrDb, calibrationRows, note, inputChannelRatio, weightRowCrest);
    }
}
