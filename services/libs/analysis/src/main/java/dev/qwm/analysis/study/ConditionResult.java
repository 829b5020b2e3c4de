package dev.qwm.analysis.study;

import dev.qwm.analysis.stats.Estimate;
import dev.qwm.analysis.stats.PairedDifference;

import java.util.Optional;

/**
 * The success of one condition with its Wilson interval, its paired difference against the full-precision
 * configuration of the same environment and budget (on the episodes both ran, matched by seed), and the means of
 * final state distance, final plan loss and time per CEM step with bootstrap intervals.
 *
 * @param versusFullPrecision absent for FP itself, or when no FP configuration shares episodes with this one
 */
public record ConditionResult(Condition condition, Estimate success, Optional<PairedDifference> versusFullPrecision,
                              Estimate finalStateDistance, Estimate finalBestLoss, Estimate cemStepMs) {
}
