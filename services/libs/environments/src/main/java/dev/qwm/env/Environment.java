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

    /** How {@link #render} draws: the frames a world model planning in it was trained on. */
    FrameStyle frameStyle();

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

    /**
     * Puts the simulator into {@code state} (velocities included where the state holds them). PushT then runs one
     * 0.01-s physics step, as DINO-WM's {@code _set_state} does, so {@link #state()} may differ slightly (the agent
     * moves by v·0.01, overlaps are resolved); replays from the same state are still exactly identical.
     */
    void reset(double[] state);

    /** A copy of the full simulator state. */
    double[] state();

    /** A copy of the proprioceptive vector the world model sees. */
    double[] proprio();

    /**
     * The proprio vector of any state (e.g. the goal's), without touching the simulator: Wall's is the state,
     * PushT's is (agent x, y, vx, vy).
     */
    double[] proprioOf(double[] state);

    /** Advances one env step under {@code action} (length {@link #actionDim()}, env units). */
    void step(double[] action);

    /** DINO-WM's success rule for this task. */
    boolean isSuccess(double[] goalState);

    /** The state distance that DINO-WM logs as {@code mean_state_dist}. */
    double stateDistance(double[] goalState);

    /** Renders the current state as RGB, row-major {@code [size][size][3]} bytes. */
    byte[] render(int size);

    /**
     * Renders {@code state} without touching the simulator (the frame is a pure function of the state), e.g.
     * the goal image. Unlike {@code reset(state); render(size)} this is exact for PushT, whose reset runs one
     * physics step as DINO-WM's does.
     */
    byte[] render(double[] state, int size);

    /**
     * Advances {@link #frameskip()} env steps under one macro action, laid out as DINO-WM concatenates them:
     * {@code [a_t(0..d), a_t+1(0..d), ...]} with d = {@link #actionDim()}, env units (not normalised).
     */
    default void stepMacro(double[] macroAction) {
        int d = actionDim();
        if (macroAction.length != d * frameskip()) {
            throw new IllegalArgumentException("macro action must have " + d * frameskip() + " values (" + frameskip()
                    + " steps x " + d + "), got " + macroAction.length);
        }
        double[] action = new double[d];
        for (int k = 0; k < frameskip(); k++) {
            System.arraycopy(macroAction, k * d, action, 0, d);
            step(action);
        }
    }
}
