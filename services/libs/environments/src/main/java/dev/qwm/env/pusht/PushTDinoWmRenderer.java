package dev.qwm.env.pusht;

import dev.qwm.env.render.PygameCanvas;
import dev.qwm.env.render.Resample;

/**
 * PushT frames as DINO-WM's {@code PushTEnv._render_frame} draws them ({@link dev.qwm.env.FrameStyle#DINOWM}): the
 * 512-px window filled white, the goal T filled LightGreen with {@code pygame.draw.polygon}, then pymunk's debug draw
 * through DINO-WM's {@code DrawOptions}: each part of the block filled with its colour lightened 1.2 times and
 * outlined by {@code draw_fat_segment} (a 4-px line, a quad across it and 2-px discs at both ends), the agent a
 * RoyalBlue disc of radius 15 under a lighter one of radius 11, the walls fat segments; every coordinate rounded as
 * Python's {@code round} does, every shape aliased (pygame's algorithms, {@link PygameCanvas}); then
 * {@code cv2.resize} to the requested size ({@link Resample#cv2Linear}).
 *
 * <p>Vertices are taken in the order pymunk hands them out (Chipmunk's convex hull: counter-clockwise from the
 * lowest-x, lowest-y vertex, {@link PushTGeometry#BAR}), since a fat segment's pixels depend on its direction.
 * Left out, as in {@link PushTRenderer}: pymunk's red contact markers, so that a frame is a pure function of the
 * state. Shapes are drawn block, agent, walls (Chipmunk's order of the block and the agent is not fixed).
 */
public final class PushTDinoWmRenderer {

    private static final int WINDOW = (int) PushTGeometry.WINDOW;
    private static final int[] WHITE = {255, 255, 255};
    private static final int[] GOAL = {144, 238, 144};        // LightGreen
    private static final int[] BLOCK = {119, 136, 153};       // LightSlateGray
    private static final int[] AGENT = {65, 105, 225};        // RoyalBlue
    private static final int[] WALL = {211, 211, 211};        // LightGray

    private PushTDinoWmRenderer() {
    }

    /** The frame of a (at least 5-D) PushT state, {@code size}×{@code size} RGB. */
    public static byte[] render(double[] state, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + size);
        }
        PygameCanvas canvas = new PygameCanvas(WINDOW);
        canvas.fill(WHITE);
        double[] goal = PushTGeometry.GOAL_POSE;
        for (double[][] part : new double[][][] {PushTGeometry.BAR, PushTGeometry.STEM}) {
            int[][] p = closed(world(goal[0], goal[1], goal[2], part));
            canvas.polygon(p[0], p[1], GOAL);
        }
        for (double[][] part : new double[][][] {PushTGeometry.BAR, PushTGeometry.STEM}) {
            drawPolygon(canvas, world(state[2], state[3], state[4], part), BLOCK);
        }
        // draw_circle: fill colour, then the lightened colour 4 px smaller
        int ax = round(state[0]);
        int ay = round(state[1]);
        canvas.circle(ax, ay, (int) PushTGeometry.AGENT_RADIUS, AGENT);
        canvas.circle(ax, ay, (int) PushTGeometry.AGENT_RADIUS - 4, light(AGENT));
        for (double[] w : PushTGeometry.WALLS) {
            fatSegment(canvas, w[0], w[1], w[2], w[3], PushTGeometry.WALL_RADIUS, WALL);
        }
        return Resample.cv2Linear(canvas.pixels(), WINDOW, size);
    }

    /** DrawOptions.draw_polygon: the lightened fill, then every edge a fat segment of radius 2 (whatever the shape's). */
    private static void drawPolygon(PygameCanvas canvas, double[][] verts, int[] color) {
        int[][] p = closed(verts);
        canvas.polygon(p[0], p[1], light(color));
        for (int i = 0; i < verts.length; i++) {
            double[] a = verts[i];
            double[] b = verts[(i + 1) % verts.length];
            fatSegment(canvas, a[0], a[1], b[0], b[1], 2, color);
        }
    }

    /** DrawOptions.draw_fat_segment, its quad's absolute-valued normal included. */
    private static void fatSegment(PygameCanvas canvas, double ax, double ay, double bx, double by, double radius,
                                   int[] color) {
        int x1 = round(ax);
        int y1 = round(ay);
        int x2 = round(bx);
        int y2 = round(by);
        int r = (int) Math.rint(Math.max(1, radius * 2));
        canvas.line(x1, y1, x2, y2, r, color);
        if (r > 2) {
            double ox = Math.abs(y2 - y1);
            double oy = Math.abs(x2 - x1);
            if (ox == 0 && oy == 0) {
                return;
            }
            double scale = radius / Math.pow(ox * ox + oy * oy, 0.5);
            int qx = (int) Math.rint(ox * scale);
            int qy = (int) Math.rint(oy * scale);
            canvas.polygon(new int[] {x1 - qx, x1 + qx, x2 + qx, x2 - qx},
                    new int[] {y1 - qy, y1 + qy, y2 + qy, y2 - qy}, color);
            int rr = (int) Math.rint(radius);
            canvas.circle(x1, y1, rr, color);
            canvas.circle(x2, y2, rr, color);
        }
    }

    /** light_color: 1.2 times each channel in float32, at most 255, rounded as SpaceDebugColor.as_int. */
    static int[] light(int[] c) {
        int[] out = new int[3];
        for (int i = 0; i < 3; i++) {
            out[i] = (int) Math.rint(Math.min(1.2f * (float) c[i], 255f));
        }
        return out;
    }

    /** Body.local_to_world, in Chipmunk's order of operations (its transform's rows). */
    private static double[][] world(double x, double y, double angle, double[][] local) {
        double c = Math.cos(angle);
        double s = Math.sin(angle);
        double[][] out = new double[local.length][];
        for (int i = 0; i < local.length; i++) {
            double lx = local[i][0];
            double ly = local[i][1];
            out[i] = new double[] {c * lx + -s * ly + x, s * lx + c * ly + y};
        }
        return out;
    }

    /** to_pygame of every vertex, the first repeated at the end as DINO-WM closes its polygons. */
    private static int[][] closed(double[][] verts) {
        int n = verts.length;
        int[][] p = new int[2][n + 1];
        for (int i = 0; i <= n; i++) {
            p[0][i] = round(verts[i % n][0]);
            p[1][i] = round(verts[i % n][1]);
        }
        return p;
    }

    /** Python's round: half to even. */
    private static int round(double v) {
        return (int) Math.rint(v);
    }
}
