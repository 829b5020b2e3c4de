package dev.qwm.training.data;

import dev.qwm.env.dataset.Episode;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A seeded synthetic task for tests and for developing the training loop without an environment: a red
 * Gaussian dot on white moves by {@code 2 x action} per step, clamped to the image, with random-walk actions
 * (heading plus noise, step length in [0, 1.2]). Proprio is the dot position (x, y). Frames look like Wall's
 * without the wall, so that an encoder learns positions from them the same way.
 */
public final class SyntheticDots implements TrainingEpisodes {

    private final int imageSize;
    private final int episodes;
    private final int steps;
    private final long seed;

    public SyntheticDots(int imageSize, int episodes, int steps, long seed) {
        this.imageSize = imageSize;
        this.episodes = episodes;
        this.steps = steps;
        this.seed = seed;
    }

    @Override
    public String describe() {
        return "synthetic dots " + episodes + "x" + steps + " seed " + seed;
    }

    @Override
    public String checksum() {
        return "synthetic-" + imageSize + "-" + episodes + "-" + steps + "-" + seed;
    }

    @Override
    public int imageSize() {
        return imageSize;
    }

    @Override
    public int proprioDim() {
        return 2;
    }

    @Override
    public int actionDim() {
        return 2;
    }

    @Override
    public int episodes() {
        return episodes;
    }

    @Override
    public void forEach(int limit, boolean withFrames, Consumer<Episode> consumer) {
        int n = limit < 0 ? episodes : Math.min(limit, episodes);
        for (int e = 0; e < n; e++) {
            consumer.accept(episode(e, withFrames));
        }
    }

    public List<Episode> all() {
        List<Episode> out = new ArrayList<>();
        forEach(-1, true, out::add);
        return out;
    }

    private Episode episode(int index, boolean withFrames) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + index);
        float lo = 4;
        float hi = imageSize - 5;
        float x = lo + (float) r.nextDouble() * (hi - lo);
        float y = lo + (float) r.nextDouble() * (hi - lo);
        double heading = r.nextDouble() * 2 * Math.PI;
        float[] proprio = new float[(steps + 1) * 2];
        float[] actions = new float[steps * 2];
        byte[] frames = withFrames ? new byte[(steps + 1) * imageSize * imageSize * 3] : null;
        for (int t = 0; ; t++) {
            proprio[2 * t] = x;
            proprio[2 * t + 1] = y;
            if (frames != null) {
                render(x, y, frames, t * imageSize * imageSize * 3);
            }
            if (t == steps) {
                break;
            }
            heading += r.nextGaussian() * 0.4;
            double len = r.nextDouble() * 1.2;
            float ax = (float) (len * Math.cos(heading));
            float ay = (float) (len * Math.sin(heading));
            actions[2 * t] = ax;
            actions[2 * t + 1] = ay;
            x = Math.max(lo, Math.min(hi, x + 2 * ax));
            y = Math.max(lo, Math.min(hi, y + 2 * ay));
        }
        return new Episode(index, "synthetic", steps, 2, 2, 2, proprio.clone(), proprio, actions, frames, imageSize);
    }

    private void render(float px, float py, byte[] out, int offset) {
        double s2 = 2 * 1.7 * 1.7;
        for (int row = 0; row < imageSize; row++) {
            for (int col = 0; col < imageSize; col++) {
                double d = Math.exp(-((col - px) * (col - px) + (row - py) * (row - py)) / s2);
                int v = 255 - (int) (255 * d);
                int i = offset + (row * imageSize + col) * 3;
                out[i] = (byte) 255;
                out[i + 1] = (byte) v;
                out[i + 2] = (byte) v;
            }
        }
    }
}
