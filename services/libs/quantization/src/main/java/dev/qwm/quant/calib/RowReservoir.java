package dev.qwm.quant.calib;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A uniform sample of at most {@code capacity} rows of width {@code width} from a stream of any length (Vitter's
 * algorithm R): memory stays capacity·width floats however long calibration runs.
 */
public final class RowReservoir {

    private final int width;
    private final int capacity;
    private final float[] rows;
    private final SplittableRandom random;
    private int size;
    private long seen;

    public RowReservoir(int width, int capacity, long seed) {
        this.width = width;
        this.capacity = capacity;
        this.rows = new float[Math.multiplyExact(width, capacity)];
        this.random = new SplittableRandom(seed);
    }

    /** Offers {@code count} rows stored consecutively in {@code data} from {@code offset}. */
    public void offer(float[] data, int offset, int count) {
        for (int r = 0; r < count; r++) {
            int slot;
            if (size < capacity) {
                slot = size++;
            } else {
                long j = random.nextLong(seen + 1);
                slot = j < capacity ? (int) j : -1;
            }
            seen++;
            if (slot >= 0) {
                System.arraycopy(data, offset + r * width, rows, slot * width, width);
            }
        }
    }

    public int size() {
        return size;
    }

    public long seen() {
        return seen;
    }

    public int width() {
        return width;
    }

    /** The sampled rows, size×width row-major (a copy). */
    public float[] rows() {
        return Arrays.copyOf(rows, size * width);
    }
}
