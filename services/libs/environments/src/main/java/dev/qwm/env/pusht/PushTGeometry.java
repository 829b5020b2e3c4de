package dev.qwm.env.pusht;

/**
 * Shapes and constants of diffusion_policy's PushT as DINO-WM uses it. World units are pixels of the 512-px window,
 * y down; a positive angle turns clockwise on screen.
 *
 * <p>The T in its body frame (scale 30, {@code add_tee}): bar x ∈ [−60, 60], y ∈ [0, 30]; stem x ∈ [−15, 15],
 * y ∈ [30, 120]. The body origin (the state's block position) is the bar's outer-edge midpoint. Mass 1, moment
 * 3000 and centre of gravity (0, 45), as pymunk ends up with (both inertia terms are the bar's, and the CoG is the
 * plain mean of the two rectangle centroids).
 */
public final class PushTGeometry {

    public static final double WINDOW = 512;
    public static final double AGENT_RADIUS = 15;
    public static final double BLOCK_MASS = 1;
    public static final double BLOCK_MOMENT = 3000;
    public static final double BLOCK_COG_X = 0;
    public static final double BLOCK_COG_Y = 45;

    /** Bar polygon, body frame, counter-clockwise in the maths sense (x right, y up). */
    public static final double[][] BAR = {{-60, 0}, {60, 0}, {60, 30}, {-60, 30}};
    /** Stem polygon, body frame. */
    public static final double[][] STEM = {{-15, 30}, {15, 30}, {15, 120}, {-15, 120}};

    /** Border wall segments (radius 2): the physical arena is [7, 504]². */
    public static final double[][] WALLS = {{5, 506, 5, 5}, {5, 5, 506, 5}, {506, 5, 506, 506}, {5, 506, 506, 506}};
    public static final double WALL_RADIUS = 2;

    /** The fixed target pose drawn in every frame (not the planning goal). */
    public static final double[] GOAL_POSE = {256, 256, Math.PI / 4};

    private PushTGeometry() {
    }

    /** Body-frame point (lx, ly) in world coordinates for a block at (x, y, angle). */
    public static double[] toWorld(double x, double y, double angle, double lx, double ly) {
        double c = Math.cos(angle);
        double s = Math.sin(angle);
        return new double[] {x + c * lx - s * ly, y + s * lx + c * ly};
    }

    /** A polygon's vertices in world coordinates. */
    public static double[][] toWorld(double x, double y, double angle, double[][] local) {
        double[][] out = new double[local.length][];
        for (int i = 0; i < local.length; i++) {
            out[i] = toWorld(x, y, angle, local[i][0], local[i][1]);
        }
        return out;
    }

    /** Whether a world point lies inside the T at pose (x, y, angle). */
    public static boolean insideBlock(double x, double y, double angle, double px, double py) {
        double c = Math.cos(angle);
        double s = Math.sin(angle);
        double dx = px - x;
        double dy = py - y;
        double lx = c * dx + s * dy;
        double ly = -s * dx + c * dy;
        boolean inBar = lx >= -60 && lx <= 60 && ly >= 0 && ly <= 30;
        boolean inStem = lx >= -15 && lx <= 15 && ly >= 30 && ly <= 120;
        return inBar || inStem;
    }
}
