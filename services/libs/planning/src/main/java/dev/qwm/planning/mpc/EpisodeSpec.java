package dev.qwm.planning.mpc;

import dev.qwm.planning.DataSplit;

/**
 * One evaluation episode: its index in the study, the seed that drew it (99n+1 for evaluation, 99n+2 for
 * calibration), the dataset split it came from, the exact start and goal states, and where the pair comes from
 * (e.g. "random_state" or "validation episode 17, steps 40..65").
 */
public record EpisodeSpec(int index, long seed, DataSplit split, double[] startState, double[] goalState,
                          String origin) {

    public EpisodeSpec {
        startState = startState.clone();
        goalState = goalState.clone();
    }

    @Override
    public double[] startState() {
        return startState.clone();
    }

    @Override
    public double[] goalState() {
        return goalState.clone();
    }
}
