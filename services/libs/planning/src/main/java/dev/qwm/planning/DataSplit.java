package dev.qwm.planning;

/**
 * Which part of a task's episodes a start/goal pair is drawn from, as {@code qwm.common.v1.DataSplit}: evaluation
 * uses the validation split (seeds 99n+1), calibration the training split (seeds 99n+2), as QuantWM does.
 */
public enum DataSplit {
    TRAIN,
    VALIDATION;

    /** QuantWM's rule: seed offset 2 (99n+2) is the calibration episodes, on the training split; any other evaluates. */
    public static DataSplit forSeedOffset(long seedOffset) {
        return seedOffset == 2 ? TRAIN : VALIDATION;
    }
}
