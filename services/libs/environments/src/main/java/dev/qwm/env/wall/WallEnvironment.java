package dev.qwm.env.wall;

import dev.qwm.env.Environment;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.FrameStyle;

/**
 * DINO-WM's Wall task (DotWall): a dot in two rooms joined by a door. State and proprio are the dot's (x, y) in
 * pixels of the 65-px grid (y down); an action moves the dot by 2·action before the wall rule
 * ({@link WallDynamics}); success is ‖goal[:2] − cur[:2]‖ &lt; 4.5.
 */
public final class WallEnvironment implements Environment {

    /** Its dimensions, which its episode generator records too. */
    static final int ACTION_DIM = 2;
    static final int STATE_DIM = 2;
    static final int PROPRIO_DIM = 2;

    /** DINO-WM's {@code eval_state} threshold, in 65-grid pixels. */
    public static final double SUCCESS_RADIUS = 4.5;
    /** The env moves the dot by this multiple of the action ({@code _generate_transition}). */
    public static final double ACTION_GAIN = 2.0;

    private final WallLayout layout;
    private double x;
    private double y;

    private final FrameStyle frameStyle;

    public WallEnvironment() {
        this(WallLayout.DEFAULT);
    }

    public WallEnvironment(WallLayout layout) {
        this(layout, FrameStyle.QWM);
    }

    /** Both styles draw the same Wall frames (qwm's are DINO-WM's); the style is kept to say what a model expects. */
    public WallEnvironment(WallLayout layout, FrameStyle frameStyle) {
        this.layout = layout;
        this.frameStyle = java.util.Objects.requireNonNull(frameStyle, "frameStyle");
        this.x = 16;
        this.y = 30;
    }

    public WallLayout layout() {
        return layout;
    }

    @Override
    public EnvironmentKind kind() {
        return EnvironmentKind.WALL;
    }

    @Override
    public FrameStyle frameStyle() {
        return frameStyle;
    }

    @Override
    public int actionDim() {
        return ACTION_DIM;
    }

    @Override
    public int stateDim() {
        return STATE_DIM;
    }

    @Override
    public int proprioDim() {
        return PROPRIO_DIM;
    }

    @Override
    public void reset(double[] state) {
        checkVector("state", state, 2);
        x = state[0];
        y = state[1];
    }

    @Override
    public double[] state() {
        return new double[] {x, y};
    }

    @Override
    public double[] proprio() {
        return new double[] {x, y};
    }

    @Override
    public double[] proprioOf(double[] state) {
        checkVector("state", state, 2);
        return state.clone();
    }

    @Override
    public void step(double[] action) {
        checkVector("action", action, 2);
        double[] next = WallDynamics.resolve(layout, x, y, x + ACTION_GAIN * action[0], y + ACTION_GAIN * action[1]);
        x = next[0];
        y = next[1];
    }

    @Override
    public boolean isSuccess(double[] goalState) {
        checkVector("goal state", goalState, 2);
        return Math.hypot(goalState[0] - x, goalState[1] - y) < SUCCESS_RADIUS;
    }

    /** DINO-WM's rule on two given states. */
    public static boolean isSuccess(double[] goalState, double[] state) {
        return Math.hypot(goalState[0] - state[0], goalState[1] - state[1]) < SUCCESS_RADIUS;
    }

    @Override
    public double stateDistance(double[] goalState) {
        checkVector("goal state", goalState, 2);
        return Math.hypot(goalState[0] - x, goalState[1] - y);
    }

    @Override
    public byte[] render(int size) {
        return WallRenderer.render(layout, x, y, size);
    }

    @Override
    public byte[] render(double[] state, int size) {
        checkVector("state", state, 2);
        return WallRenderer.render(layout, state[0], state[1], size);
    }

    static void checkVector(String what, double[] v, int dim) {
        if (v == null || v.length != dim) {
            throw new IllegalArgumentException("Wall " + what + " must have " + dim + " values, got "
                    + (v == null ? "null" : v.length));
        }
        for (int i = 0; i < dim; i++) {
            if (!Double.isFinite(v[i])) {
                throw new IllegalArgumentException("Wall " + what + "[" + i + "] is not finite: " + v[i]);
            }
        }
    }
}
