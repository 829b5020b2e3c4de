package dev.qwm.analysis.data;

/** Where an episode's start and goal come from: seed = seedBase·index + seedOffset, drawn from {@code split}. */
public record Seeding(long seed, long seedBase, long seedOffset, String split) {

    public Seeding {
        split = split == null ? "" : split;
    }

    /** Two episodes with the same key plan from the same start to the same goal: they can be paired. */
    public String pairingKey() {
        return split + "#" + seed;
    }
}
