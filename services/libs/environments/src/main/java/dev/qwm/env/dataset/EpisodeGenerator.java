package dev.qwm.env.dataset;

import dev.qwm.env.EnvironmentKind;
import java.util.Map;

/**
 * Draws the training trajectories of one environment. {@link #generate} must depend only on the generator's
 * seed and options and on the episode index, so that episodes can be drawn on several threads and a dataset is
 * reproducible byte for byte.
 */
public interface EpisodeGenerator {

    EnvironmentKind kind();

    int stateDim();

    int proprioDim();

    int actionDim();

    /** Episode {@code index}: {@code steps} actions with the states, proprio and frames around them. */
    Episode generate(int index, int steps, int imageSize);

    /** The data policy and its parameters, recorded in {@code dataset.json}. */
    Map<String, Object> description();

    /** A fresh accumulator of this environment's data metrics, fed every episode in index order. */
    DataMetrics newMetrics();

    /** Measured properties of a dataset's episodes (door crossings, block-moving steps, ...). */
    interface DataMetrics {
        void add(Episode e);

        Map<String, Object> result();
    }
}
