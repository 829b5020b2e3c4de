package dev.qwm.env.render;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** RGB frames as row-major {@code [size][size][3]} bytes, and their conversion to images and PNG files. */
public final class Frames {

    static {
        // rendering never needs a display; decide before any AWT class asks
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private Frames() {
    }

    /** Ensures the JVM is headless before any Java2D class loads (idempotent). */
    public static void ensureHeadless() {
        // the static initialiser does the work
    }

    /** A frame copied into a {@code TYPE_3BYTE_BGR} image. */
    public static BufferedImage toImage(byte[] rgb, int size) {
        checkFrame(rgb, size);
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < size * size; i++) {
            bgr[3 * i] = rgb[3 * i + 2];
            bgr[3 * i + 1] = rgb[3 * i + 1];
            bgr[3 * i + 2] = rgb[3 * i];
        }
        return img;
    }

    /** The pixels of a {@code TYPE_3BYTE_BGR} image as an RGB frame. */
    public static byte[] fromBgrImage(BufferedImage img) {
        if (img.getType() != BufferedImage.TYPE_3BYTE_BGR || img.getWidth() != img.getHeight()) {
            throw new IllegalArgumentException("expected a square TYPE_3BYTE_BGR image");
        }
        byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        byte[] rgb = new byte[bgr.length];
        for (int i = 0; i < bgr.length; i += 3) {
            rgb[i] = bgr[i + 2];
            rgb[i + 1] = bgr[i + 1];
            rgb[i + 2] = bgr[i];
        }
        return rgb;
    }

    /** The RGB value at (row, col) packed as 0xRRGGBB. */
    public static int pixel(byte[] rgb, int size, int row, int col) {
        int i = (row * size + col) * 3;
        return ((rgb[i] & 0xFF) << 16) | ((rgb[i + 1] & 0xFF) << 8) | (rgb[i + 2] & 0xFF);
    }

    /** Writes frames side by side (one row, 2-px white gaps) as a PNG. */
    public static void writePngStrip(Path file, List<byte[]> frames, int size) throws IOException {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("no frames to write");
        }
        int gap = frames.size() > 1 ? 2 : 0;
        int width = frames.size() * size + (frames.size() - 1) * gap;
        BufferedImage strip = new BufferedImage(width, size, BufferedImage.TYPE_3BYTE_BGR);
        java.awt.Graphics2D g = strip.createGraphics();
        try {
            g.setColor(java.awt.Color.WHITE);
            g.fillRect(0, 0, width, size);
            for (int i = 0; i < frames.size(); i++) {
                g.drawImage(toImage(frames.get(i), size), i * (size + gap), 0, null);
            }
        } finally {
            g.dispose();
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(strip, "png", file.toFile())) {
            throw new IOException("no PNG writer available for " + file);
        }
    }

    static void checkFrame(byte[] rgb, int size) {
        if (rgb.length != size * size * 3) {
            throw new IllegalArgumentException("frame has " + rgb.length + " bytes, expected " + size + "x" + size + "x3");
        }
    }
}
