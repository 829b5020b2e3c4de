package dev.qwm.quant.core;

/**
 * The block layout of ONNX Runtime's MatMulNBits for given integer weights: the container width and the block size.
 * The block also fixes the numbers of activation granularity {@code kernel} (accuracy_level 4 quantizes each row of
 * the input per block of this size), so it depends on the weights alone, never on the CPU.
 */
public final class MatMulNBitsBlocks {

    /** Largest block for weights with one scale per channel. */
    public static final int MAX_BLOCK = 128;

    private MatMulNBitsBlocks() {
    }

    public static int containerBits(int bits) {
        return switch (bits) {
            case 2 -> 2;
            case 3, 4 -> 4;
            case 6, 8 -> 8;
            default -> throw new IllegalArgumentException("no MatMulNBits container for " + bits + "-bit weights");
        };
    }

    /**
     * The MatMulNBits block size storing {@code q} in the fewest bytes: a power of two ≥ 16 that divides the scale
     * group (any, when each row has one scale), so every block lies inside one group and takes its scale; the last
     * block of a row is padded. Ties go to the larger block (fewer scales to apply). For K = 84 per channel this is
     * 32 (3 blocks, 12 padded weights), not 128 (44 padded).
     */
    public static int chooseBlock(QuantizedWeights q, int containerBits, int maxBlock) {
        GroupLayout layout = q.layout();
        int limit = layout.groupsPerRow() == 1 ? maxBlock : Math.min(maxBlock, layout.length());
        int best = 16;
        long bestBytes = Long.MAX_VALUE;
        for (int b = 16; b <= limit; b <<= 1) {
            if (layout.groupsPerRow() > 1 && layout.length() % b != 0) {
                continue;
            }
            long blocks = (q.in() + b - 1) / b;
            long bytes = blocks * ((long) b * containerBits / 8 + 4);
            if (bytes <= bestBytes) {
                bestBytes = bytes;
                best = b;
            }
        }
        return best;
    }

    /** The block of {@code q} at the default maximum. */
    public static int blockOf(QuantizedWeights q) {
        return chooseBlock(q, containerBits(q.spec().bits()), MAX_BLOCK);
    }
}
