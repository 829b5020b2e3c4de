package dev.qwm.quant.emit;

import dev.qwm.onnx.runtime.CpuFeatures;

/**
 * How quantized layers are written into the graph: only choices that compute the same numbers (kernel and storage
 * variants). What a layer computes (its codes, scales, zero points and how its activations are quantized, including
 * MatMulNBits' accuracy_level) follows from the recipe alone; no option here and no CPU feature changes it.
 *
 * @param int8Flavor          how 8-bit weights meet 8-bit activations in ORT's integer GEMM (same integers either way)
 * @param perChannelBlockSize largest MatMulNBits block for weights with one scale per channel (the block size is
 *                            chosen to store the weights in the fewest bytes, see {@link NBitsPacking#chooseBlock})
 * @param fakeQuant           write every layer as float fake quantization (quantize-dequantize in float): the
 *                            reference graph, QuantWM's semantics, no size or speed gain
 */
public record EmitOptions(Int8Flavor int8Flavor, int perChannelBlockSize, boolean fakeQuant) {

    public enum Int8Flavor {
        /** u8 activations × s8 weights: ORT's fastest int8 path, exact only with VNNI (else 16-bit saturation). */
        U8S8,
        /** u8 × u8 (weights shifted by 128): exact on every CPU, slower than U8S8 where VNNI exists. */
        U8U8,
        /** U8S8 when the CPU has VNNI, U8U8 otherwise. */
        AUTO
    }

    public static final EmitOptions DEFAULTS = new EmitOptions(Int8Flavor.AUTO, 128, false);
    public static final EmitOptions FAKE_QUANT = new EmitOptions(Int8Flavor.AUTO, 128, true);

    /** MatMulNBits accuracy_level for float activations (the kernel computes in float). */
    public static final int FLOAT_ACCURACY_LEVEL = 0;
    /** MatMulNBits accuracy_level that quantizes activations to int8 inside the kernel (recipe granularity 'kernel'). */
    public static final int INT8_ACCURACY_LEVEL = 4;

    public EmitOptions {
        if (int8Flavor == null) {
            throw new IllegalArgumentException("int8 flavor is missing");
        }
        if (perChannelBlockSize < 16 || Integer.bitCount(perChannelBlockSize) != 1) {
            throw new IllegalArgumentException("MatMulNBits block size must be a power of 2 >= 16, got " + perChannelBlockSize);
        }
    }

    /** Whether full-range 8-bit weights may be paired with 8-bit activations as u8×s8 on {@code cpu}. */
    public boolean signedWeightsSafeForFullRange(CpuFeatures cpu) {
        return switch (int8Flavor) {
            case U8S8 -> true;
            case U8U8 -> false;
            case AUTO -> cpu.hasVnni();
        };
    }

    public EmitOptions withInt8Flavor(Int8Flavor flavor) {
        return new EmitOptions(flavor, perChannelBlockSize, fakeQuant);
    }
}
