package dev.qwm.quant.emit;

/**
 * How quantized layers are written into the graph.
 *
 * @param accuracyLevel       MatMulNBits accuracy_level: 4 quantizes the activations to int8 inside the kernel, 0
 *                            computes in float; -1 (automatic) chooses per layer: 4 where the CPU has VNNI or the
 *                            layer reads at least {@link #INT8_ACTIVATIONS_MIN_WIDTH} inputs, else 0. Without VNNI,
 *                            MatMulKernelBenchmark (AVX2, 1 thread, thread CPU time vs fp32, 4-bit g128) measured 4
 *                            ahead only on wide layers (K=N=1024, M=16/256/2048: 0.68/0.88/0.91× vs 1.67/0.96/1.02×;
 *                            M=4800 K=N=512: 0.97× vs 1.08×) and far behind on the shipped small models' 64–168-wide
 *                            layers (M=4800: 1.65–2.72× vs 0.95–1.01×), where its per-call int8 quantization of the
 *                            activations costs more than the product; its other cost is the int8 rounding of the
 *                            activations (relative output error 0.0100 vs 0.0079 at 8 bits)
 * @param int8Flavor          how 8-bit weights meet 8-bit activations in ORT's integer GEMM
 * @param perChannelBlockSize largest MatMulNBits block for weights with one scale per channel (the block size is
 *                            chosen to store the weights in the fewest bytes, see {@link NBitsPacking#chooseBlock})
 * @param fakeQuant           write every layer as float fake quantization (quantize-dequantize in float): the
 *                            reference graph, QuantWM's semantics, no size or speed gain
 */
public record EmitOptions(int accuracyLevel, Int8Flavor int8Flavor, int perChannelBlockSize, boolean fakeQuant) {

    public enum Int8Flavor {
        /** u8 activations × s8 weights: ORT's fastest int8 path, exact only with VNNI (else 16-bit saturation). */
        U8S8,
        /** u8 × u8 (weights shifted by 128): exact on every CPU, slower than U8S8 where VNNI exists. */
        U8U8,
        /** U8S8 when this CPU has VNNI, U8U8 otherwise. */
        AUTO
    }

    public static final EmitOptions DEFAULTS = new EmitOptions(-1, Int8Flavor.AUTO, 128, false);
    public static final EmitOptions FAKE_QUANT = new EmitOptions(0, Int8Flavor.AUTO, 128, true);

    public EmitOptions {
        if (accuracyLevel != -1 && accuracyLevel != 0 && accuracyLevel != 1 && accuracyLevel != 2 && accuracyLevel != 3
                && accuracyLevel != 4) {
            throw new IllegalArgumentException("accuracy_level must be 0..4 (or -1 for automatic), got " + accuracyLevel);
        }
        if (perChannelBlockSize < 16 || Integer.bitCount(perChannelBlockSize) != 1) {
            throw new IllegalArgumentException("MatMulNBits block size must be a power of 2 >= 16, got " + perChannelBlockSize);
        }
    }

    /** Input width from which accuracy_level 4 is chosen automatically on CPUs without VNNI (see above). */
    public static final int INT8_ACTIVATIONS_MIN_WIDTH = 512;

    /** The accuracy_level of a MatMulNBits layer reading {@code inFeatures} inputs on {@code cpu}. */
    public int effectiveAccuracyLevel(CpuFeatures cpu, int inFeatures) {
        if (accuracyLevel >= 0) {
            return accuracyLevel;
        }
        return cpu.hasVnni() || inFeatures >= INT8_ACTIVATIONS_MIN_WIDTH ? 4 : 0;
    }

    /** Whether full-range 8-bit weights may be paired with 8-bit activations as u8×s8 on {@code cpu}. */
    public boolean signedWeightsSafeForFullRange(CpuFeatures cpu) {
        return switch (int8Flavor) {
            case U8S8 -> true;
            case U8U8 -> false;
            case AUTO -> cpu.hasVnni();
        };
    }

    public EmitOptions withAccuracyLevel(int level) {
        return new EmitOptions(level, int8Flavor, perChannelBlockSize, fakeQuant);
    }

    public EmitOptions withInt8Flavor(Int8Flavor flavor) {
        return new EmitOptions(accuracyLevel, flavor, perChannelBlockSize, fakeQuant);
    }
}
