package dev.qwm.quant.recipe;

import java.util.List;

/**
 * Where calibration activations come from and how much of them is kept. Episodes are planned with the FP model on
 * the {@code split} split, seeds {@code seedStride}·n + {@code seedOffset} (QuantWM: train split, 99n+2, disjoint
 * from the evaluation seeds 99n+1), for {@code quantIter} MPC iterations each (QuantWM's readme: 2).
 * Memory stays bounded however long calibration runs: each layer input keeps min/max per channel, a sampled
 * reservoir of {@code rowsPerTensor} rows and (for GPTQ, AWQ, OmniQuant) its Hessian XᵀX, both from
 * {@code rowsPerBatch} rows sampled from every model run; blocks keep {@code snapshots} sampled inputs (one batch item
 * each, whole sequences, since attention mixes tokens).
 */
public record CalibrationSettings(Integer episodes, Integer quantIter, String split, Integer seedStride,
                                  Integer seedOffset, Integer rowsPerTensor, Integer rowsPerBatch, Integer snapshots,
                                  Long samplingSeed) {

    public static final CalibrationSettings DEFAULTS = new CalibrationSettings(null, null, null, null, null, null, null,
            null, null);

    public CalibrationSettings {
        episodes = episodes == null ? 50 : episodes;
        quantIter = quantIter == null ? 2 : quantIter;
        split = split == null ? "train" : split;
        seedStride = seedStride == null ? 99 : seedStride;
        seedOffset = seedOffset == null ? 2 : seedOffset;
        rowsPerTensor = rowsPerTensor == null ? 4096 : rowsPerTensor;
        rowsPerBatch = rowsPerBatch == null ? 256 : rowsPerBatch;
        snapshots = snapshots == null ? 16 : snapshots;
        samplingSeed = samplingSeed == null ? 0L : samplingSeed;
    }

    /**
     * Upper limits of what a recipe may ask for: each is far above any use (QuantWM: 50 episodes, 2 iterations) and
     * low enough that one request cannot hold a quantizer for hours or exhaust its memory (the reservoir of one layer
     * input is rowsPerTensor x width floats; 5,000,000 rows of the widest layer do not fit any heap).
     */
    public static final int MAX_EPISODES = 1000;
    public static final int MAX_QUANT_ITER = 50;
    public static final int MAX_ROWS_PER_TENSOR = 65_536;
    public static final int MAX_ROWS_PER_BATCH = 65_536;
    public static final int MAX_SNAPSHOTS = 1024;

    /** The seed of calibration episode n (0-based). */
    public long episodeSeed(int n) {
        return (long) seedStride * n + seedOffset;
    }

    void validate(List<String> problems) {
        within(problems, "calibration.episodes", episodes, 1, MAX_EPISODES);
        within(problems, "calibration.quantIter", quantIter, 1, MAX_QUANT_ITER);
        if (!split.equals("train") && !split.equals("valid")) {
            problems.add("calibration.split must be train or valid, got '" + split + "'");
        }
        if (seedStride < 1) {
            problems.add("calibration.seedStride must be at least 1, got " + seedStride);
        }
        if (seedOffset == 1 && seedStride == 99) {
            problems.add("calibration seeds 99n+1 are the evaluation seeds; calibration and evaluation episodes must not overlap");
        }
        within(problems, "calibration.rowsPerTensor", rowsPerTensor, 16, MAX_ROWS_PER_TENSOR);
        within(problems, "calibration.rowsPerBatch", rowsPerBatch, 1, MAX_ROWS_PER_BATCH);
        within(problems, "calibration.snapshots", snapshots, 1, MAX_SNAPSHOTS);
    }

    private static void within(List<String> problems, String field, int value, int min, int max) {
        if (value < min || value > max) {
            problems.add(field + " must be " + min + ".." + String.format(java.util.Locale.ROOT, "%,d", max) + ", got "
                    + String.format(java.util.Locale.ROOT, "%,d", value));
        }
    }
}
