package dev.qwm.quant.emit;

/**
 * How quantized layers are written into the graph: only choices that compute the same numbers (kernel and storage
 * variants). What a layer computes (its codes, scales, zero points and how its activations are quantized, including
 * MatMulNBits' accuracy_level) follows from the recipe alone; no option here and no CPU feature changes it.
 *
 * @param int8Flavor          how full-range 8-bit weights are stored for ORT's integer GEMM (same integers either way)
 * @param perChannelBlockSize largest MatMulNBits block for weights with one scale per channel (the block size is
 *                            chosen to store the weights in the fewest bytes, see {@link NBitsPacking#chooseBlock})
 * @param fakeQuant           write every layer as float fake quantization (quantize-dequantize in float): the
 *                            reference graph, QuantWM's semantics, no size or speed gain
 */
public record EmitOptions(Int8Flavor int8Flavor, int perChannelBlockSize, boolean fakeQuant) {

    /**
     * The default is U8S8 on every CPU, so that the file, and its sha256, does not depend on the CPU that quantized
     * it (a study resumed on another machine re-creates the same artifacts): the load ({@code KernelChoice}) runs
     * int8 weights as u8×u8 wherever u8×s8 is not exact on the CPU that runs them.
     */
    public enum Int8Flavor {
        /** int8 codes, zero point 0 (u8 activations × s8 weights): ORT's fastest int8 path where it is exact (VNNI). */
        U8S8,
        /** uint8 codes + 128, zero point 128 (u8 × u8): exact on every CPU as stored, slower where VNNI exists. */
        U8U8
    }

    public static final EmitOptions DEFAULTS = new EmitOptions(Int8Flavor.U8S8, 128, false);
    public static final EmitOptions FAKE_QUANT = new EmitOptions(Int8Flavor.U8S8, 128, true);

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

    /** Whether full-range 8-bit weights that meet 8-bit activations are stored as int8 codes (u8×s8). */
    public boolean signedFullRangeWeights() {
        return int8Flavor == Int8Flavor.U8S8;
    }

    public EmitOptions withInt8Flavor(Int8Flavor flavor) {
        return new EmitOptions(flavor, perChannelBlockSize, fakeQuant);
    }
}
