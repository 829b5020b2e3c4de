package dev.qwm.planning;

import dev.qwm.env.Environment;

/**
 * What the planner observes of the simulator at one moment: the RGB frame (row-major {@code [size][size][3]},
 * absent when the model reads no images), the raw proprio vector, and the exact state (read only by the oracle
 * model and by the evaluation, never by a learned model).
 */
public record Observation(byte[] image, int imageSize, double[] proprio, double[] state) {

    /** Observes {@code env} now, rendering at {@code imageSize} (0 = no image). */
    public static Observation of(Environment env, int imageSize) {
        byte[] image = imageSize > 0 ? env.render(imageSize) : null;
        return new Observation(image, imageSize, env.proprio(), env.state());
    }
}
