package dev.qwm.env.pusht;

import dev.qwm.env.render.Frames;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;

/**
 * PushT frames drawn with Java2D, as diffusion_policy's pygame debug draw lays them out on the 512-px window, but
 * rasterised directly at the requested size with antialiasing (the official code draws at 512 and shrinks with
 * cv2's bilinear resize). Order: white; the fixed goal T (LightGreen) at (256, 256, π/4); the block's bar and stem,
 * each filled (143, 163, 184) and outlined by 4-px round-capped lines (119, 136, 153), so a dark line crosses the T
 * where they meet; the agent, a RoyalBlue disc of radius 15 with a lighter disc of radius 11; the walls, 4-px
 * LightGray lines. Contact markers of pymunk's debug draw are left out, so a frame is a pure function of the state.
 */
public final class PushTRenderer {

    static {
        Frames.ensureHeadless();
    }

    private static final Color GOAL = new Color(144, 238, 144);
    private static final Color BLOCK_FILL = new Color(143, 163, 184);
    private static final Color BLOCK_EDGE = new Color(119, 136, 153);
    private static final Color AGENT = new Color(65, 105, 225);
    private static final Color AGENT_INNER = new Color(78, 126, 255);
    private static final Color WALL = new Color(211, 211, 211);
    private static final BasicStroke EDGE = new BasicStroke(4f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);

    private PushTRenderer() {
    }

    /** The frame of a 7-D (or at least 5-D) PushT state, {@code size}×{@code size} RGB. */
    public static byte[] render(double[] state, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + size);
        }
        BufferedImage img = canvas(size);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, size, size);
            g.scale(size / PushTGeometry.WINDOW, size / PushTGeometry.WINDOW);
            // pygame fills whole pixels at rounded coordinates: world x lands on the centre of pixel x
            g.translate(0.5, 0.5);

            double[] goal = PushTGeometry.GOAL_POSE;
            g.setColor(GOAL);
            g.fill(polygon(goal[0], goal[1], goal[2], PushTGeometry.BAR));
            g.fill(polygon(goal[0], goal[1], goal[2], PushTGeometry.STEM));

            g.setStroke(EDGE);
            for (double[][] part : new double[][][] {PushTGeometry.BAR, PushTGeometry.STEM}) {
                Path2D shape = polygon(state[2], state[3], state[4], part);
                g.setColor(BLOCK_FILL);
                g.fill(shape);
                g.setColor(BLOCK_EDGE);
                g.draw(shape);
            }

            double r = PushTGeometry.AGENT_RADIUS;
            g.setColor(AGENT);
            g.fill(new Ellipse2D.Double(state[0] - r, state[1] - r, 2 * r, 2 * r));
            double ri = r - 4;
            g.setColor(AGENT_INNER);
            g.fill(new Ellipse2D.Double(state[0] - ri, state[1] - ri, 2 * ri, 2 * ri));

            g.setColor(WALL);
            for (double[] w : PushTGeometry.WALLS) {
                g.draw(new Line2D.Double(w[0], w[1], w[2], w[3]));
            }
        } finally {
            g.dispose();
        }
        return Frames.fromBgrImage(img);
    }

    // one reusable canvas per thread and size: allocating the image dominates the cost at small sizes
    private static final ThreadLocal<BufferedImage> CANVAS = new ThreadLocal<>();

    private static BufferedImage canvas(int size) {
        BufferedImage img = CANVAS.get();
        if (img == null || img.getWidth() != size) {
            img = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
            CANVAS.set(img);
        }
        return img;
    }

    private static Path2D polygon(double x, double y, double angle, double[][] local) {
        double[][] v = PushTGeometry.toWorld(x, y, angle, local);
        Path2D.Double p = new Path2D.Double();
        p.moveTo(v[0][0], v[0][1]);
        for (int i = 1; i < v.length; i++) {
            p.lineTo(v[i][0], v[i][1]);
        }
        p.closePath();
        return p;
    }
}
