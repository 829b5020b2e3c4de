package dev.qwm.analysis.data;

import java.util.Comparator;
import java.util.List;

/** Per-MPC-iteration and per-CEM-step metrics of one episode's completed attempt, in order. */
public record EpisodeTrace(String attemptId, List<MpcIterationRecord> mpcIterations, List<CemStepRecord> cemSteps) {

    public EpisodeTrace {
        mpcIterations = mpcIterations == null ? List.of() : mpcIterations.stream()
                .sorted(Comparator.comparingInt(MpcIterationRecord::mpcIteration)).toList();
        cemSteps = cemSteps == null ? List.of() : cemSteps.stream()
                .sorted(Comparator.comparingInt(CemStepRecord::mpcIteration).thenComparingInt(CemStepRecord::cemStep))
                .toList();
    }

    public static final EpisodeTrace EMPTY = new EpisodeTrace("", List.of(), List.of());
}
