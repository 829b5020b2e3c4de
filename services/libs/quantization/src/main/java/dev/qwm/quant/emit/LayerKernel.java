package dev.qwm.quant.emit;

/**
 * How one quantized layer runs in the emitted graph (for the manifest).
 *
 * @param layer          layer (node) name
 * @param kernel         the op doing the product: MatMulNBits, MatMulIntegerToFloat (from QDQ), MatMulInteger, MatMul
 * @param weightStorage  how the weights are stored, e.g. "uint4 blocks of 128"
 * @param weightBits     bits of the recipe's weight levels
 * @param storageBits    bits per weight in storage (4 for 3-bit levels in a 4-bit container)
 * @param activationPath how the input is quantized: float, real QuantizeLinear, in-graph integer codes, or emulated
 * @param emulated       true when some part only emulates the recipe (levels in a wider container, or activation
 *                       quantization computed in float) instead of running a kernel of exactly that format
 * @param weightBytes    bytes of this layer's weight initializers (codes, scales, zero points, sums)
 */
public record LayerKernel(String layer, String kernel, String weightStorage, int weightBits, int storageBits,
                          String activationPath, boolean emulated, long weightBytes) {
}
