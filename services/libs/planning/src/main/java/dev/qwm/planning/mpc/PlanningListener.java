package dev.qwm.planning.mpc;

/**
 * Progress of episodes as they run, for progress bars and for services that publish events per CEM step and per
 * MPC iteration. Called on the thread that runs the episode.
 */
public interface PlanningListener {

    PlanningListener NONE = new PlanningListener() { };

    default void onEpisodeStarted(EpisodeSpec episode) {
    }

    default void onCemStep(EpisodeSpec episode, CemStepMetrics metrics) {
    }

    default void onMpcIteration(EpisodeSpec episode, MpcIterationMetrics metrics) {
    }

    default void onEpisodeCompleted(EpisodeResult result) {
    }

    /** Forwards every call to each of {@code listeners} in order. */
    static PlanningListener all(PlanningListener... listeners) {
        return new PlanningListener() {
            @Override
            public void onEpisodeStarted(EpisodeSpec episode) {
                for (PlanningListener l : listeners) {
                    l.onEpisodeStarted(episode);
                }
            }

            @Override
            public void onCemStep(EpisodeSpec episode, CemStepMetrics metrics) {
                for (PlanningListener l : listeners) {
                    l.onCemStep(episode, metrics);
                }
            }

            @Override
            public void onMpcIteration(EpisodeSpec episode, MpcIterationMetrics metrics) {
                for (PlanningListener l : listeners) {
                    l.onMpcIteration(episode, metrics);
                }
            }

            @Override
            public void onEpisodeCompleted(EpisodeResult result) {
                for (PlanningListener l : listeners) {
                    l.onEpisodeCompleted(result);
                }
            }
        };
    }
}
