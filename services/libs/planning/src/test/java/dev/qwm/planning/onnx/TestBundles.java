package dev.qwm.planning.onnx;

import dev.qwm.onnx.bundle.ModelBundle;
import java.nio.file.Path;

/**
 * The tiny test bundle ({@link TinyBundle}) for other modules' tests, through this module's test-jar: the predictor
 * service's tests plan and roll out with it exactly as this module's tests do.
 */
public final class TestBundles {

    private TestBundles() {
    }

    /** Writes a tiny Wall bundle (16x16 images, 4 patches, latent dim 6) with {@code numHist} frames of history. */
    public static ModelBundle tinyWall(Path dir, int numHist, long seed) {
        return new TinyBundle(numHist, seed).write(dir);
    }

    /** Image side of the tiny bundle. */
    public static int tinyImageSize() {
        return TinyBundle.IMAGE;
    }
}
