package dev.qwm.quant.core;

/**
 * How the {@code in} weights of one output channel split into scale groups: one group (per-channel) or groups of {@code
 * groupSize} consecutive weights, the last one shorter when {@code in} is not a multiple of the group size. Groups are
 * per row, so no group ever straddles two output channels (QuantWM's reshape to (−1, 128) did,
 * docs/reference/quantwm.md "Groups that straddle rows").
 */
public record GroupLayout(int in, int groupSize) {

    public GroupLayout {
        if (in < 1) {
            throw new IllegalArgumentException("input width must be positive, got " + in);
        }
        if (groupSize < 0) {
            throw new IllegalArgumentException("group size must be 0 (per channel) or positive, got " + groupSize);
        }
    }

    /** Effective group length: {@code in} for per-channel. */
    public int length() {
        return groupSize == 0 ? in : groupSize;
    }

    public int groupsPerRow() {
        return (in + length() - 1) / length();
    }

    public int start(int group) {
        return group * length();
    }

    /** Exclusive end of {@code group}: never past the row. */
    public int end(int group) {
        return Math.min(in, (group + 1) * length());
    }

    public int groupOf(int column) {
        return column / length();
    }

    /** Size of the short last group, or 0 when {@code in} divides evenly. */
    public int remainder() {
        return in % length();
    }
}
