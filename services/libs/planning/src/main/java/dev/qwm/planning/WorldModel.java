package dev.qwm.planning;

import dev.qwm.env.FrameStyle;

/**
 * A world model as the planner sees it, in DINO-WM's terms ({@code VWorldModel}): encode an observation into a
 * latent frame; roll a batch of candidate normalised macro-action sequences forward from a start latent
 * ({@code rollout}: the first action rides on the encoded start frame, every further action on the last
 * predicted frame, one final prediction) and keep the last imagined frame; score candidates with the
 * {@link Objective}.
 *
 * <p>The planner encodes the start observation and the goal once per plan and then only calls {@link #score}.
 * Implementations need not be thread-safe; use one instance per planning thread.
 */
public interface WorldModel extends AutoCloseable {

    /** What a result row names as the model (bundle name and component hashes, or "oracle:wall"). */
    String reference();

    /** The {@link dev.qwm.env.EnvironmentKind#cliName()} of its environment. */
    String environment();

    /** Dimension of one normalised macro action (env action dim x frameskip). */
    int actionDim();

    /** Maps normalised macro actions to env actions. */
    ActionNormalization actionNormalization();

    /** Side of the square RGB frame the encoder reads; 0 if the model reads no images. */
    int imageSize();

    /**
     * How the frames it reads must be drawn (its bundle's {@code frameStyle}): the style of the frames it was trained
     * on. The episode runner refuses an environment that draws otherwise.
     */
    FrameStyle frameStyle();

    Latent encode(Observation observation);

    /** The last imagined latent frame of every candidate. */
    Latent[] rollout(Latent start, ActionBatch actions);

    /** The objective of every candidate (lower is better). */
    default double[] score(Latent start, Latent goal, ActionBatch actions, Objective objective) {
        Latent[] last = rollout(start, actions);
        double[] losses = new double[last.length];
        for (int b = 0; b < last.length; b++) {
            losses[b] = objective.loss(last[b], goal);
        }
        return losses;
    }

    @Override
    default void close() {
    }
}
