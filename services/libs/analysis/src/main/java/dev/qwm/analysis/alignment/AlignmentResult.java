package dev.qwm.analysis.alignment;

import dev.qwm.analysis.stats.Estimate;
import dev.qwm.analysis.stats.RankCorrelation.Correlation;
import dev.qwm.analysis.study.Condition;

import java.util.Optional;

/**
 * Objective–success alignment of one condition: whether episodes with a lower final plan loss succeed more and end
 * closer (Spearman over episodes), the curves of success and loss against MPC iterations and CEM steps, plateau flags
 * on both, and the mean final gap between imagined and real latent.
 */
public record AlignmentResult(Condition condition, Correlation lossVersusSuccess, Correlation lossVersusDistance,
                              Curve mpcCurve, Optional<Curve> cemCurve, Optional<PlateauFlag> mpcFlag,
                              Optional<PlateauFlag> cemFlag, Estimate finalVisualDivergence) {
}
