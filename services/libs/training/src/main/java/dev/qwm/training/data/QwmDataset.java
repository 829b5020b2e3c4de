package dev.qwm.training.data;

import dev.qwm.env.dataset.DatasetManifest;
import dev.qwm.env.dataset.DatasetReader;
import dev.qwm.env.dataset.Episode;
import dev.qwm.env.dataset.EpisodeStream;
import dev.qwm.env.dataset.Split;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

/** One split of a dataset written by {@code qwm dataset} ({@link DatasetReader}), streamed episode by episode. */
public final class QwmDataset implements TrainingEpisodes {

    private final DatasetReader reader;
    private final Split split;

    private QwmDataset(DatasetReader reader, Split split) {
        this.reader = reader;
        this.split = split;
    }

    public static QwmDataset open(Path dir, Split split) throws IOException {
        return new QwmDataset(DatasetReader.open(dir), split);
    }

    public DatasetManifest manifest() {
        return reader.manifest();
    }

    public String environment() {
        return reader.manifest().environment();
    }

    @Override
    public String describe() {
        return environment() + ":" + reader.directory() + " (" + split.id() + ", "
                + reader.manifest().split(split).episodes() + " episodes)";
    }

    /** The split file's SHA-256 from dataset.json (the reader checks every record's CRC as it streams). */
    @Override
    public String checksum() {
        return reader.manifest().split(split).sha256();
    }

    @Override
    public int imageSize() {
        return reader.manifest().imageSize();
    }

    @Override
    public int proprioDim() {
        return reader.manifest().proprioDim();
    }

    @Override
    public int actionDim() {
        return reader.manifest().actionDim();
    }

    @Override
    public int episodes() {
        return reader.manifest().split(split).episodes();
    }

    @Override
    public void forEach(int limit, boolean withFrames, Consumer<Episode> consumer) throws IOException {
        int n = limit < 0 ? episodes() : Math.min(limit, episodes());
        try (EpisodeStream s = reader.episodes(split, withFrames)) {
            Episode e;
            for (int i = 0; i < n && (e = s.next()) != null; i++) {
                consumer.accept(e);
            }
        }
    }
}
