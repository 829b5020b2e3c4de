package dev.qwm.env.dataset;

import dev.qwm.env.random.NumpyRandomState;
import dev.qwm.files.StagedWrite;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * Generates a dataset directory: draws episodes on {@code threads} workers, writes them in index order to the
 * train or validation file, and accumulates normalisation statistics and data metrics on the way, so memory
 * stays at a few episodes whatever the dataset size. Same generator seed and options → identical files.
 */
public final class DatasetGenerator {

    /**
     * @param episodes           total number of trajectories (both splits)
     * @param steps              actions per trajectory
     * @param imageSize          frame side in pixels
     * @param validationFraction share of episodes held out (DINO-WM: 0.1), chosen by a seeded shuffle
     * @param threads            worker threads drawing episodes
     * @param compressionLevel   Deflate level for frames (1..9)
     */
    public record Options(int episodes, int steps, int imageSize, long seed, double validationFraction, int threads,
                          int compressionLevel) {
        public Options {
            if (episodes < 2) {
                throw new IllegalArgumentException("a dataset needs at least 2 episodes (train and validation), got "
                        + episodes);
            }
            if (steps < 1) {
                throw new IllegalArgumentException("episodes need at least one step, got " + steps);
            }
            if (imageSize < 8 || imageSize > 1024) {
                throw new IllegalArgumentException("image size must be in 8..1024, got " + imageSize);
            }
            if (!(validationFraction > 0 && validationFraction < 1)) {
                throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + validationFraction);
            }
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            }
        }
    }

    private DatasetGenerator() {
    }

    /** Which episodes are validation: a seeded Fisher-Yates shuffle, the first round(n·fraction) taken. */
    public static boolean[] validationMask(int episodes, double fraction, long seed) {
        int nVal = (int) Math.max(1, Math.min(episodes - 1, Math.round(episodes * fraction)));
        int[] order = new int[episodes];
        for (int i = 0; i < episodes; i++) {
            order[i] = i;
        }
        NumpyRandomState rs = new NumpyRandomState(new int[] {(int) seed, (int) (seed >>> 32), 0x53504C54}); // "SPLT"
        for (int i = episodes - 1; i > 0; i--) {
            int j = (int) rs.randint(0, i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        boolean[] val = new boolean[episodes];
        for (int i = 0; i < nVal; i++) {
            val[order[i]] = true;
        }
        return val;
    }

    /**
     * Writes {@code dir/train.qwmd}, {@code dir/validation.qwmd} and {@code dir/dataset.json} into a new folder
     * {@code dir} (absent or empty).
     *
     * @param progress called with the number of episodes written so far, from the calling thread
     */
    public static DatasetManifest generate(EpisodeGenerator gen, Options o, Path dir, IntConsumer progress)
            throws IOException {
        return generate(gen, o, DatasetManifest.target(dir, "dataset folder"), progress);
    }

    /**
     * As above, where {@code out} allows (see {@link DatasetManifest#target}): the files are written into a staging
     * folder renamed into place at the end, so an interrupted run leaves the previous dataset as it was.
     */
    public static DatasetManifest generate(EpisodeGenerator gen, Options o, StagedWrite out, IntConsumer progress)
            throws IOException {
        return out.write(dir -> generateInto(gen, o, dir, progress));
    }

    private static DatasetManifest generateInto(EpisodeGenerator gen, Options o, Path dir, IntConsumer progress)
            throws IOException {
        boolean[] val = validationMask(o.episodes(), o.validationFraction(), o.seed());
        int nVal = 0;
        for (boolean v : val) {
            nVal += v ? 1 : 0;
        }
        NormalizationAccumulator stats = new NormalizationAccumulator(gen.actionDim(), gen.proprioDim(), gen.stateDim());
        EpisodeGenerator.DataMetrics metrics = gen.newMetrics();
        ExecutorService pool = Executors.newFixedThreadPool(o.threads(), r -> {
            Thread t = new Thread(r, "qwm-dataset-worker");
            t.setDaemon(true);
            return t;
        });
        Map<String, DatasetManifest.SplitFile> files;
        try (DatasetWriter writer = new DatasetWriter(dir, gen.kind().cliName(), o.imageSize(), gen.stateDim(),
                gen.proprioDim(), gen.actionDim(), o.episodes() - nVal, nVal, o.compressionLevel())) {
            ArrayDeque<Future<Episode>> inFlight = new ArrayDeque<>();
            int submitted = 0;
            int window = 2 * o.threads();
            for (int done = 0; done < o.episodes(); done++) {
                while (submitted < o.episodes() && inFlight.size() < window) {
                    final int index = submitted++;
                    inFlight.add(pool.submit(() -> gen.generate(index, o.steps(), o.imageSize())));
                }
                Episode e = await(inFlight.poll());
                stats.add(e);
                metrics.add(e);
                writer.write(val[e.index()] ? Split.VALIDATION : Split.TRAIN, e);
                progress.accept(done + 1);
            }
            files = writer.finish();
        } finally {
            pool.shutdownNow();
        }
        Map<String, Object> generator = new LinkedHashMap<>(gen.description());
        generator.put("compressionLevel", o.compressionLevel());
        DatasetManifest manifest = new DatasetManifest(DatasetManifest.FORMAT, gen.kind().cliName(), o.imageSize(),
                gen.stateDim(), gen.proprioDim(), gen.actionDim(), 5, o.episodes(), o.steps(), o.seed(),
                o.validationFraction(), files, stats.result(), generator, metrics.result());
        manifest.write(dir);
        return manifest;
    }

    private static Episode await(Future<Episode> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("dataset generation interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException("episode generation failed: " + c, c);
        }
    }
}
