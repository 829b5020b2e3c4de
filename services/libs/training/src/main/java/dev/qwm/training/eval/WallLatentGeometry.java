package dev.qwm.training.eval;

import java.nio.ByteBuffer;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.env.wall.WallEnvironment;
import dev.qwm.env.wall.WallLayout;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Does the visual latent distance track task distance on Wall? The measurement of docs/experiments/feasibility.md
 * (encoder objectives): the visual-latent MSE between the dot at g and at g + d·u, for straight lines that stay inside
 * one room, as d grows from 2 to 30 px; the share of lines whose MSE rises at every step (0→2→5→10→15→20→25→30 px); and
 * the ratio of latent distances for dots 16 px apart across the wall to dots 16 px apart within a room (a latent that
 * knows the wall puts the former farther apart).
 */
public final class WallLatentGeometry {

    /** Distances along each line, px. */
    public static final double[] DISTANCES = {2, 5, 10, 15, 20, 25, 30};

    /**
     * @param meanMse         mean latent MSE at each of {@link #DISTANCES}
     * @param monotoneShare   share of lines whose MSE rises at every distance
     * @param acrossWithin    latent MSE across the wall / within a room, for 16-px separations
     * @param lines           lines measured
     */
    public record Report(double[] meanMse, double monotoneShare, double acrossWithin, int lines) {

        public double relative(int i) {
            return meanMse[i] / meanMse[meanMse.length - 1];
        }

        public String format() {
            StringBuilder sb = new StringBuilder("latent MSE vs dot displacement (Wall, " + lines
                    + " straight lines inside one room), relative to 30 px:\n  ");
            for (int i = 0; i < DISTANCES.length; i++) {
                sb.append(String.format(Locale.ROOT, "%.0f px %.2f   ", DISTANCES[i], relative(i)));
            }
            sb.append(String.format(Locale.ROOT, "%n  MSE at 30 px %.4f; monotone on %.0f %% of lines; 16 px across the wall"
                    + " vs within a room: %.2fx%n", meanMse[meanMse.length - 1], 100 * monotoneShare, acrossWithin));
            return sb.toString();
        }
    }

    private WallLatentGeometry() {
    }

    public static Report measure(OnnxWorldModel wm, int lines, long seed) {
        int size = wm.manifest().imageSize();
        WallEnvironment env = new WallEnvironment();
        WallLayout layout = env.layout();
        double lo = WallLayout.BORDER_PADDING;
        double hi = WallLayout.GRID - 1 - WallLayout.BORDER_PADDING;
        double leftHi = layout.wallLeft() - WallLayout.PADDING;
        double rightLo = layout.wallRight() + WallLayout.PADDING;
        SplittableRandom r = new SplittableRandom(seed);
        int k = DISTANCES.length;
        double[] sum = new double[k];
        int monotone = 0;
        int per = size * size * 3;
        for (int line = 0; line < lines; line++) {
            double x0;
            double y0;
            double ux;
            double uy;
            double xmin;
            double xmax;
            do {
                boolean left = r.nextBoolean();
                xmin = left ? lo : rightLo;
                xmax = left ? leftHi : hi;
                x0 = xmin + r.nextDouble() * (xmax - xmin);
                y0 = lo + r.nextDouble() * (hi - lo);
                double a = r.nextDouble() * 2 * Math.PI;
                ux = Math.cos(a);
                uy = Math.sin(a);
            } while (!inside(x0 + 30 * ux, y0 + 30 * uy, xmin, xmax, lo, hi));
            byte[] images = new byte[(k + 1) * per];
            System.arraycopy(env.render(new double[] {x0, y0}, size), 0, images, 0, per);
            for (int i = 0; i < k; i++) {
                double d = DISTANCES[i];
                System.arraycopy(env.render(new double[] {x0 + d * ux, y0 + d * uy}, size), 0, images, (i + 1) * per, per);
            }
            float[] z = wm.visualEncoder().encode(ByteBuffer.wrap(images), k + 1);
            int latent = z.length / (k + 1);
            double prev = 0;
            boolean rising = true;
            for (int i = 0; i < k; i++) {
                double mse = mse(z, 0, z, (i + 1) * latent, latent);
                sum[i] += mse;
                rising &= mse > prev;
                prev = mse;
            }
            monotone += rising ? 1 : 0;
        }
        for (int i = 0; i < k; i++) {
            sum[i] /= lines;
        }
        return new Report(sum, (double) monotone / lines, acrossWithin(wm, env, layout, size, r), lines);
    }

    /** Mean MSE for 16-px horizontal pairs straddling the wall (outside the door rows) over pairs inside a room. */
    private static double acrossWithin(OnnxWorldModel wm, WallEnvironment env, WallLayout layout, int size,
                                       SplittableRandom r) {
        int per = size * size * 3;
        int pairs = 40;
        byte[] across = new byte[2 * pairs * per];
        byte[] within = new byte[2 * pairs * per];
        double lo = WallLayout.BORDER_PADDING;
        double hi = WallLayout.GRID - 1 - WallLayout.BORDER_PADDING;
        for (int i = 0; i < pairs; i++) {
            double y;
            do {
                y = lo + r.nextDouble() * (hi - lo);
            } while (y > layout.doorBottom() - 4 && y < layout.doorTop() + 4);
            double c = layout.wallX();
            System.arraycopy(env.render(new double[] {c - 8, y}, size), 0, across, 2 * i * per, per);
            System.arraycopy(env.render(new double[] {c + 8, y}, size), 0, across, (2 * i + 1) * per, per);
            boolean left = r.nextBoolean();
            double x = left ? lo + 1 : layout.wallRight() + WallLayout.PADDING + 1;
            System.arraycopy(env.render(new double[] {x, y}, size), 0, within, 2 * i * per, per);
            System.arraycopy(env.render(new double[] {x + 16, y}, size), 0, within, (2 * i + 1) * per, per);
        }
        return meanPairMse(wm.visualEncoder().encode(ByteBuffer.wrap(across), 2 * pairs), pairs)
                / meanPairMse(wm.visualEncoder().encode(ByteBuffer.wrap(within), 2 * pairs), pairs);
    }

    private static double meanPairMse(float[] z, int pairs) {
        int latent = z.length / (2 * pairs);
        double s = 0;
        for (int i = 0; i < pairs; i++) {
            s += mse(z, 2 * i * latent, z, (2 * i + 1) * latent, latent);
        }
        return s / pairs;
    }

    private static boolean inside(double x, double y, double xmin, double xmax, double ymin, double ymax) {
        return x >= xmin && x <= xmax && y >= ymin && y <= ymax;
    }

    private static double mse(float[] a, int ao, float[] b, int bo, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double d = a[ao + i] - b[bo + i];
            s += d * d;
        }
        return s / n;
    }
}
