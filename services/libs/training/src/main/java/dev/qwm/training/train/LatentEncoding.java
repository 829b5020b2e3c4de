package dev.qwm.training.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.qwm.env.dataset.Episode;
import dev.qwm.training.data.Episodes;
import dev.qwm.training.data.TrainingEpisodes;
import dev.qwm.training.data.LatentEpisode;
import dev.qwm.training.model.Normalization;
import dev.qwm.training.model.DjlWorldModel;
import dev.qwm.progress.ProgressLine;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the frozen visual encoder over every frame of a split once (the encoder never changes while the
 * predictor trains, as DINO-WM keeps DINOv2 frozen), keeping latents, normalised proprio and normalised actions.
 */
public final class LatentEncoding {

    private LatentEncoding() {
    }

    public static List<LatentEpisode> encode(DjlWorldModel model, TrainingEpisodes source, int limit, PrintStream log)
            throws IOException {
        int total = limit < 0 ? source.episodes() : Math.min(limit, source.episodes());
        List<LatentEpisode> out = new ArrayList<>(total);
        Normalization norm = model.normalization();
        int a = source.actionDim();
        float[] envActionMean = java.util.Arrays.copyOf(norm.actionMean(), a);
        float[] envActionStd = java.util.Arrays.copyOf(norm.actionStd(), a);
        try (ProgressLine bar = ProgressLine.on(log).task("encode " + source.describe().replaceAll(" \\(.*", ""))
                .total(total).unit("episodes").start()) {
            source.forEach(limit, true, e -> {
                out.add(encodeEpisode(model, e, envActionMean, envActionStd));
                bar.step();
            });
        }
        return out;
    }

    static LatentEpisode encodeEpisode(DjlWorldModel model, Episode e, float[] actionMean, float[] actionStd) {
        var c = model.config();
        if (e.imageSize() != c.imageSize()) {
            throw new IllegalArgumentException("episode frames are " + e.imageSize() + " px, the model takes " + c.imageSize());
        }
        if (e.proprioDim() != c.proprioDim()) {
            throw new IllegalArgumentException("episode proprio has " + e.proprioDim() + " dims, the model takes "
                    + c.proprioDim());
        }
        int frames = e.steps() + 1;
        int per = c.numPatches() * c.latentDim();
        float[] latents = new float[frames * per];
        int chunk = 128;
        try (NDManager sub = model.manager().newSubManager()) {
            ParameterStore ps = new ParameterStore(sub, false);
            for (int start = 0; start < frames; start += chunk) {
                int n = Math.min(chunk, frames - start);
                ByteBuffer buf = ByteBuffer.wrap(e.frames(), start * Episodes.frameBytes(e), n * Episodes.frameBytes(e)).slice();
                try (NDManager step = sub.newSubManager()) {
                    NDArray img = step.create(buf, new Shape(n, c.imageSize(), c.imageSize(), 3), DataType.UINT8);
                    float[] z = model.encode(new ParameterStore(step, false), img).toFloatArray();
                    System.arraycopy(z, 0, latents, start * per, z.length);
                }
            }
        }
        float[] actions = e.actions().clone();
        for (int i = 0; i < actions.length; i++) {
            int d = i % e.actionDim();
            actions[i] = (actions[i] - actionMean[d]) / actionStd[d];
        }
        return new LatentEpisode(e.steps(), c.numPatches(), c.latentDim(), c.proprioDim(), e.actionDim(), latents,
                model.normalization().normalizeProprio(e.proprio()), actions);
    }
}
