package dev.qwm.env;

/**
 * One simulated task in DINO-WM's terms: exact state, proprioception, one env step under an
 * (unnormalised) action, success against a goal state, and RGB rendering.
 *
 * <p>This is the contract between the environments and the planning library. Planning works in macro
 * actions of {@link #frameskip()} env steps; the environment itself only knows single steps.
 * Implementations are not thread-safe: one instance per episode.
 */
public interface Environment {

    EnvironmentKind kind();

    /** Dimension of one env-step action (2 for Wall and PushT). */
    int actionDim();

    /** Dimension of {@link #state()}. */
    int stateDim();

    /** Dimension of {@link #proprio()}. */
    int proprioDim();

    /** Env steps per macro action (5, as DINO-WM's frameskip). */
    default int frameskip() {
        return 5;
    }

    /** Puts the simulator exactly into {@code state} (velocities included where the state holds them). */
    void reset(double[] state);

    /** A copy of the full simulator state. */
    double[] state();

    /** A copy of the proprioceptive vector the world model sees. */
    double[] proprio();

    /** Advances one env step under {@code action} (length {@link #actionDim()}, env units). */
    void step(double[] action);

    /** DINO-WM's success rule for this task. */
    boolean isSuccess(double[] goalState);

    /** The state distance that DINO-WM logs as {@code mean_state_dist}. */
    double stateDistance(double[] goalState);

    /** Renders the current state as RGB, row-major {@code [size][size][3]} bytes. */
    byte[] render(int size);
}
