package dev.qwm.quant.emit;

import dev.qwm.quant.core.GroupLayout;
import dev.qwm.quant.core.MatMulNBitsBlocks;
import dev.qwm.quant.core.QuantizedWeights;

/**
 * Packs integer weights for ONNX Runtime's {@code com.microsoft:MatMulNBits}: B is uint8 [N, nBlocks, blob] with
 * blob = blockSize·bits/8, each block holding blockSize consecutive input weights of one output channel as unsigned
 * codes (code + 2^(bits−1), the kernel's default zero point), LSB first; scales are float [N·nBlocks], index
 * n·nBlocks + b. A last block running past K is padded with the zero-point code (value 0). Codes of fewer bits than
 * the container (3-bit levels in a 4-bit block, 6-bit in 8-bit) are stored unchanged: the kernel then computes with
 * exactly the recipe's levels.
 */
public record NBitsPacking(byte[] packed, float[] scales, int containerBits, int blockSize, int blocksPerRow, int blobSize) {

    public static int containerBits(int bits) {
        return MatMulNBitsBlocks.containerBits(bits);
    }

    /** See {@link MatMulNBitsBlocks#chooseBlock}. */
    public static int chooseBlock(QuantizedWeights q, int containerBits, int maxBlock) {
        return MatMulNBitsBlocks.chooseBlock(q, containerBits, maxBlock);
    }

    public static NBitsPacking pack(QuantizedWeights q, int containerBits, int blockSize) {
        GroupLayout layout = q.layout();
        if (layout.groupsPerRow() > 1 && layout.length() % blockSize != 0) {
            throw new IllegalArgumentException("blocks of " + blockSize + " do not tile groups of " + layout.length());
        }
        int in = q.in();
        int out = q.out();
        int nBlocks = (in + blockSize - 1) / blockSize;
        int blob = blockSize * containerBits / 8;
        int offset = 1 << (containerBits - 1);
        byte[] packed = new byte[out * nBlocks * blob];
        float[] scales = new float[out * nBlocks];
        byte[] codes = q.codes();
        for (int n = 0; n < out; n++) {
            for (int b = 0; b < nBlocks; b++) {
                int k0 = b * blockSize;
                scales[n * nBlocks + b] = q.scales()[n * layout.groupsPerRow() + layout.groupOf(Math.min(k0, in - 1))];
                int base = (n * nBlocks + b) * blob;
                for (int j = 0; j < blockSize; j++) {
                    int k = k0 + j;
                    int u = (k < in ? codes[n * in + k] : 0) + offset;
                    int bit = j * containerBits;
                    packed[base + bit / 8] |= (byte) (u << (bit % 8));
                }
            }
        }
        return new NBitsPacking(packed, scales, containerBits, blockSize, nBlocks, blob);
    }
}
