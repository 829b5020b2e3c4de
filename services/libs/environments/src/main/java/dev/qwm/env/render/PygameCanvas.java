package dev.qwm.env.render;

import java.util.Arrays;

/**
 * A square RGB canvas with pygame 2's aliased drawing (src_c/draw.c; the same pixels in 2.1.2, which Debian ships, and
 * 2.5.2, which DINO-WM pins): {@code pygame.draw.polygon} filled ({@code draw_fillpoly}), {@code pygame.draw.circle}
 * filled ({@code draw_circle_filled}) and {@code pygame.draw.line} with a width ({@code draw_line_width}), ported with
 * their integer arithmetic, clipping and quirks, so that a frame drawn here is the one pygame draws.
 */
public final class PygameCanvas {

    private final int size;
    private final byte[] rgb;

    public PygameCanvas(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("canvas size must be positive, got " + size);
        }
        this.size = size;
        this.rgb = new byte[size * size * 3];
    }

    public int size() {
        return size;
    }

    /** The pixels, row-major {@code [size][size][3]} (not copied). */
    public byte[] pixels() {
        return rgb;
    }

    public void fill(int[] color) {
        for (int i = 0; i < rgb.length; i += 3) {
            put(i, color);
        }
    }

    /** {@code pygame.draw.polygon(surface, color, points)} with width 0: the points as given, a closing copy included. */
    public void polygon(int[] xs, int[] ys, int[] color) {
        int n = xs.length;
        int miny = ys[0];
        int maxy = ys[0];
        for (int i = 1; i < n; i++) {
            miny = Math.min(miny, ys[i]);
            maxy = Math.max(maxy, ys[i]);
        }
        if (miny == maxy) {
            int minx = xs[0];
            int maxx = xs[0];
            for (int i = 1; i < n; i++) {
                minx = Math.min(minx, xs[i]);
                maxx = Math.max(maxx, xs[i]);
            }
            hline(minx, miny, maxx, color);
            return;
        }
        int[] cross = new int[n];
        for (int y = miny; y <= maxy; y++) {
            int count = 0;
            for (int i = 0; i < n; i++) {
                int prev = i == 0 ? n - 1 : i - 1;
                int x1;
                int y1;
                int x2;
                int y2;
                if (ys[prev] < ys[i]) {
                    x1 = xs[prev];
                    y1 = ys[prev];
                    x2 = xs[i];
                    y2 = ys[i];
                } else if (ys[prev] > ys[i]) {
                    x1 = xs[i];
                    y1 = ys[i];
                    x2 = xs[prev];
                    y2 = ys[prev];
                } else {
                    continue;
                }
                if ((y >= y1 && y < y2) || (y == maxy && y2 == maxy)) {
                    cross[count++] = (y - y1) * (x2 - x1) / (y2 - y1) + x1; // C's truncating division
                }
            }
            Arrays.sort(cross, 0, count);
            for (int i = 0; i + 1 < count; i += 2) {
                hline(cross[i], y, cross[i + 1], color);
            }
        }
        // horizontal edges strictly between the top and the bottom row, which the scan may leave out
        for (int i = 0; i < n; i++) {
            int prev = i == 0 ? n - 1 : i - 1;
            int y = ys[i];
            if (miny < y && ys[prev] == y && y < maxy) {
                hline(xs[i], y, xs[prev], color);
            }
        }
    }

    /** {@code pygame.draw.circle(surface, color, (x0, y0), radius)} with width 0 (midpoint algorithm). */
    public void circle(int x0, int y0, int radius, int[] color) {
        if (radius < 1) {
            return;
        }
        int f = 1 - radius;
        int ddFx = 0;
        int ddFy = -2 * radius;
        int x = 0;
        int y = radius;
        while (x < y) {
            if (f >= 0) {
                y--;
                ddFy += 2;
                f += ddFy;
            }
            x++;
            ddFx += 2;
            f += ddFx + 1;
            if (f >= 0) {
                hline(x0 - x, y0 + y - 1, x0 + x - 1, color);
                hline(x0 - x, y0 - y, x0 + x - 1, color);
            }
            hline(x0 - y, y0 + x - 1, x0 + y - 1, color);
            hline(x0 - y, y0 - x, x0 + y - 1, color);
        }
    }

    /** {@code pygame.draw.line(surface, color, (x1, y1), (x2, y2), width)}: Bresenham, widened across its major axis. */
    public void line(int x1, int y1, int x2, int y2, int width, int[] color) {
        if (width < 1) {
            return;
        }
        int endX = x2;
        int endY = y2;
        boolean xinc = Math.abs(x1 - x2) <= Math.abs(y1 - y2);
        int dx = Math.abs(x2 - x1);
        int sx = x1 < x2 ? 1 : -1;
        int dy = Math.abs(y2 - y1);
        int sy = y1 < y2 ? 1 : -1;
        int err = (dx > dy ? dx : -dy) / 2;
        int[] p = {x1, y1, x2, y2};
        if (!clipLine(p)) {
            return;
        }
        x1 = p[0];
        y1 = p[1];
        x2 = p[2];
        y2 = p[3];
        if (width == 1) {
            thinLine(x1, y1, x2, y2, color);
            return;
        }
        int leftTop = (xinc ? x1 : y1) - (width - 1) / 2;
        int rightBottom = (xinc ? x1 : y1) + width / 2;
        while (sign(x1 - x2, sx) != sx || sign(y1 - y2, sy) != sy) {
            if (xinc) {
                hline(leftTop, y1, rightBottom, color);
            } else {
                for (int y = leftTop; y <= rightBottom; y++) {
                    set(x1, y, color);
                }
            }
            int e2 = err;
            if (e2 > -dx) {
                err -= dy;
                x1 += sx;
                if (xinc) {
                    leftTop += sx;
                    rightBottom += sx;
                }
            }
            if (e2 < dy) {
                err += dx;
                y1 += sy;
                if (!xinc) {
                    leftTop += sy;
                    rightBottom += sy;
                }
            }
        }
        if (xinc) {
            while (y1 != endY && (inside(leftTop, y1) || inside(rightBottom, y1))) {
                hline(leftTop, y1, rightBottom, color);
                int e2 = err;
                if (e2 > -dx) {
                    err -= dy;
                    x1 += sx;
                    leftTop += sx;
                    rightBottom += sx;
                }
                if (e2 < dy) {
                    err += dx;
                    y1 += sy;
                }
            }
            hline(leftTop, y1, rightBottom, color);
        } else {
            while (x1 != endX && (inside(x1, leftTop) || inside(x1, rightBottom))) {
                for (int y = leftTop; y <= rightBottom; y++) {
                    set(x1, y, color);
                }
                int e2 = err;
                if (e2 > -dx) {
                    err -= dy;
                    x1 += sx;
                }
                if (e2 < dy) {
                    err += dx;
                    y1 += sy;
                    leftTop += sy;
                    rightBottom += sy;
                }
            }
            for (int y = leftTop; y <= rightBottom; y++) {
                set(x1, y, color);
            }
        }
    }

    private void thinLine(int x1, int y1, int x2, int y2, int[] color) {
        if (x1 == x2 && y1 == y2) {
            set(x1, y1, color);
            return;
        }
        if (y1 == y2) {
            hline(x1, y1, x2, color);
            return;
        }
        if (x1 == x2) {
            for (int y = Math.min(y1, y2); y <= Math.max(y1, y2); y++) {
                set(x1, y, color);
            }
            return;
        }
        int dx = Math.abs(x2 - x1);
        int sx = x1 < x2 ? 1 : -1;
        int dy = Math.abs(y2 - y1);
        int sy = y1 < y2 ? 1 : -1;
        int err = (dx > dy ? dx : -dy) / 2;
        while (x1 != x2 || y1 != y2) {
            set(x1, y1, color);
            int e2 = err;
            if (e2 > -dx) {
                err -= dy;
                x1 += sx;
            }
            if (e2 < dy) {
                err += dx;
                y1 += sy;
            }
        }
        set(x2, y2, color);
    }

    /** pygame's Liang-Barsky {@code clip_line} against the whole canvas; false if nothing is left. */
    private boolean clipLine(int[] p) {
        int p1 = p[0] - p[2];
        int p2 = -p1;
        int p3 = p[1] - p[3];
        int p4 = -p3;
        int q1 = p[0];
        int q2 = size - p[0];
        int q3 = p[1];
        int q4 = size - p[1];
        if ((p1 == 0 && q1 < 0) || (p2 == 0 && q2 < 0) || (p3 == 0 && q3 < 0) || (p4 == 0 && q4 < 0)) {
            return false;
        }
        double nmax = 0;
        double pmin = 1;
        if (p1 != 0) {
            double r1 = (double) q1 / p1;
            double r2 = (double) q2 / p2;
            if (p1 < 0) {
                nmax = Math.max(nmax, r1);
                pmin = Math.min(pmin, r2);
            } else {
                nmax = Math.max(nmax, r2);
                pmin = Math.min(pmin, r1);
            }
        }
        if (p3 != 0) {
            double r1 = (double) q3 / p3;
            double r2 = (double) q4 / p4;
            if (p3 < 0) {
                nmax = Math.max(nmax, r1);
                pmin = Math.min(pmin, r2);
            } else {
                nmax = Math.max(nmax, r2);
                pmin = Math.min(pmin, r1);
            }
        }
        if (nmax > pmin) {
            return false;
        }
        int x0 = p[0];
        int y0 = p[1];
        p[0] = x0 + roundAway(p2 * nmax);
        p[1] = y0 + roundAway(p4 * nmax);
        p[2] = x0 + roundAway(p2 * pmin);
        p[3] = y0 + roundAway(p4 * pmin);
        return true;
    }

    private static int roundAway(double v) {
        return (int) (v < 0 ? v - 0.5 : v + 0.5);
    }

    private static int sign(int x, int y) {
        return x > 0 ? 1 : x < 0 ? -1 : y;
    }

    private boolean inside(int x, int y) {
        return x >= 0 && x < size && y >= 0 && y < size;
    }

    private void hline(int x1, int y, int x2, int[] color) {
        if (y < 0 || y >= size) {
            return;
        }
        int a = Math.max(Math.min(x1, x2), 0);
        int b = Math.min(Math.max(x1, x2), size - 1);
        for (int x = a; x <= b; x++) {
            put((y * size + x) * 3, color);
        }
    }

    private void set(int x, int y, int[] color) {
        if (inside(x, y)) {
            put((y * size + x) * 3, color);
        }
    }

    private void put(int i, int[] color) {
        rgb[i] = (byte) color[0];
        rgb[i + 1] = (byte) color[1];
        rgb[i + 2] = (byte) color[2];
    }
}
