package dev.qwm.env.wall;

import dev.qwm.env.render.Resample;

/**
 * DotWall's picture (DINO-WM {@code DotWall._render_walls/_render_dot/channels_to_img}): on the 65×65 grid, wall
 * and border pixels black; elsewhere (255, 255 − ⌊255·D⌋, 255 − ⌊255·D⌋) where D is a Gaussian of std 1.7 around
 * the dot, divided by its maximum over the grid. A red dot on white, no goal marker.
 *
 * <p>Sizes: 65 is the native grid; 64 (the shipped models) crops the last row and column, which hold only
 * white margin outside the border lines, so one pixel stays one state unit; any other size resamples the
 * native grid bilinearly as DINO-WM's {@code Resize} does (65 → 224).
 */
public final class WallRenderer {

    private WallRenderer() {
    }

    /** The frame of a dot at (x, y) in {@code layout}, {@code size}×{@code size} RGB. */
    public static byte[] render(WallLayout layout, double x, double y, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + size);
        }
        byte[] grid = renderGrid(layout, x, y);
        int n = WallLayout.GRID;
        if (size == n) {
            return grid;
        }
        if (size == n - 1) {
            byte[] out = new byte[size * size * 3];
            for (int r = 0; r < size; r++) {
                System.arraycopy(grid, r * n * 3, out, r * size * 3, size * 3);
            }
            return out;
        }
        return Resample.bilinear(grid, n, size);
    }

    /** The native 65×65 frame. */
    public static byte[] renderGrid(WallLayout layout, double x, double y) {
        int n = WallLayout.GRID;
        double twoVar = 2 * WallLayout.DOT_STD * WallLayout.DOT_STD;
        // exp(-(dx² + dy²)/2σ²) = gx·gy: 2·65 exponentials instead of 65², and the grid maximum is max(gx)·max(gy)
        double[] gx = new double[n];
        double[] gy = new double[n];
        double maxX = 0;
        double maxY = 0;
        for (int i = 0; i < n; i++) {
            gx[i] = Math.exp(-(i - x) * (i - x) / twoVar);
            gy[i] = Math.exp(-(i - y) * (i - y) / twoVar);
            maxX = Math.max(maxX, gx[i]);
            maxY = Math.max(maxY, gy[i]);
        }
        byte[] rgb = new byte[n * n * 3];
        for (int r = 0; r < n; r++) {
            double ry = maxY > 0 ? gy[r] / maxY : 0;
            for (int c = 0; c < n; c++) {
                if (layout.isWallPixel(r, c)) {
                    continue; // black, already zero
                }
                // a dot far outside the grid underflows to 0 everywhere: no red at all
                double d = maxX > 0 ? ry * (gx[c] / maxX) : 0;
                int red = (int) (255 * d);
                int i = (r * n + c) * 3;
                rgb[i] = (byte) 255;
                rgb[i + 1] = (byte) (255 - red);
                rgb[i + 2] = (byte) (255 - red);
            }
        }
        return rgb;
    }
}
