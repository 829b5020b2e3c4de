package dev.qwm.training.data;

import dev.qwm.env.dataset.Episode;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * A split of a dataset read as a stream, one episode at a time, in a fixed order (so that training is
 * reproducible). Implementations check what they read and fail with an error naming the file.
 */
public interface TrainingEpisodes {

    /** Short description for logs and manifests, e.g. {@code wall:data/wall (train)}. */
    String describe();

    /** Content checksum of the split (the dataset's own, or one computed while reading). */
    String checksum() throws IOException;

    int imageSize();

    int proprioDim();

    /** Env-step action dimension. */
    int actionDim();

    int episodes() throws IOException;

    /** Streams the first {@code limit} episodes (all if {@code limit < 0}); {@code withFrames=false} may skip decoding images. */
    void forEach(int limit, boolean withFrames, Consumer<Episode> consumer) throws IOException;
}
