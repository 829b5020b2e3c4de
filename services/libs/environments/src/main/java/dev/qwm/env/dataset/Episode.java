package dev.qwm.env.dataset;

import java.util.Objects;

/**
 * One recorded trajectory: {@code steps} env actions and the {@code steps + 1} states, proprio vectors and
 * frames around them (entry t is before action t). Arrays are flat and row-major; values are float32 as stored
 * (actions were rounded to float32 before they were stepped, so replaying them reproduces the trajectory).
 *
 * @param index     the episode's number within the whole dataset (0-based, both splits)
 * @param policy    which data policy drew the actions (e.g. "random", "door", "push")
 * @param steps     number of actions T
 * @param states    (T+1) × stateDim
 * @param proprio   (T+1) × proprioDim
 * @param actions   T × actionDim, env units (not normalised)
 * @param frames    (T+1) × size × size × 3 RGB bytes, or null when read without frames
 * @param imageSize frame side in pixels
 */
public record Episode(int index, String policy, int steps, int stateDim, int proprioDim, int actionDim,
                      float[] states, float[] proprio, float[] actions, byte[] frames, int imageSize) {

    public Episode {
        Objects.requireNonNull(policy, "policy");
        if (steps < 1) {
            throw new IllegalArgumentException("an episode needs at least one step, got " + steps);
        }
        check("states", states, (steps + 1) * stateDim);
        check("proprio", proprio, (steps + 1) * proprioDim);
        check("actions", actions, steps * actionDim);
        if (frames != null && frames.length != (long) (steps + 1) * imageSize * imageSize * 3) {
            throw new IllegalArgumentException("frames hold " + frames.length + " bytes, expected " + (steps + 1)
                    + " frames of " + imageSize + "x" + imageSize + "x3");
        }
    }

    private static void check(String what, float[] a, int expected) {
        if (a == null || a.length != expected) {
            throw new IllegalArgumentException(what + " hold " + (a == null ? "null" : a.length) + " values, expected "
                    + expected);
        }
    }

    public boolean hasFrames() {
        return frames != null;
    }

    public double[] state(int t) {
        return slice(states, t, stateDim);
    }

    public double[] proprio(int t) {
        return slice(proprio, t, proprioDim);
    }

    public double[] action(int t) {
        return slice(actions, t, actionDim);
    }

    /** Frame t as {@code [size][size][3]} RGB bytes (a copy). */
    public byte[] frame(int t) {
        if (frames == null) {
            throw new IllegalStateException("episode " + index + " was read without frames");
        }
        int n = imageSize * imageSize * 3;
        byte[] out = new byte[n];
        System.arraycopy(frames, t * n, out, 0, n);
        return out;
    }

    private static double[] slice(float[] a, int t, int dim) {
        double[] out = new double[dim];
        for (int i = 0; i < dim; i++) {
            out[i] = a[t * dim + i];
        }
        return out;
    }

    /** The same episode without its frames. */
    public Episode withoutFrames() {
        return new Episode(index, policy, steps, stateDim, proprioDim, actionDim, states, proprio, actions, null,
                imageSize);
    }
}
