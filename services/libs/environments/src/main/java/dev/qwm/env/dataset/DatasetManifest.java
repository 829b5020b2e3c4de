package dev.qwm.env.dataset;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.qwm.files.StagedWrite;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code dataset.json}: what a dataset directory holds and how it was made. See the module's README.md.
 *
 * @param format         always {@link #FORMAT}
 * @param environment    {@link dev.qwm.env.EnvironmentKind#cliName()} of the environment
 * @param imageSize      frame side in pixels
 * @param frameskip      env steps per macro action for models trained on it (5)
 * @param episodes       total over both splits
 * @param stepsPerEpisode actions per episode
 * @param seed           generation seed: the same seed and options give byte-identical split files
 * @param splits         "train" and "validation": file, episode count, size and SHA-256
 * @param normalization  statistics over all episodes, for the model bundle
 * @param generator      the data policy and its parameters
 * @param metrics        measured properties of the data (door crossings, block-moving steps...)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DatasetManifest(String format, String environment, int imageSize, int stateDim, int proprioDim,
                              int actionDim, int frameskip, int episodes, int stepsPerEpisode, long seed,
                              double validationFraction, Map<String, SplitFile> splits, DatasetNormalization normalization,
                              Map<String, Object> generator, Map<String, Object> metrics) {

    public static final String FORMAT = "qwm-dataset/1";
    public static final String FILE_NAME = "dataset.json";

    /** One split's binary file. */
    public record SplitFile(String file, int episodes, long steps, long bytes, String sha256) {
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public SplitFile split(Split split) {
        SplitFile f = splits == null ? null : splits.get(split.id());
        if (f == null) {
            throw new IllegalStateException("dataset has no " + split.id() + " split");
        }
        return f;
    }

    /**
     * Where a dataset is to be written, as {@code option} names it to the user: a folder that may be replaced only
     * if it holds a dataset (and only with {@link StagedWrite#force}).
     */
    public static StagedWrite target(Path dir, String option) {
        return StagedWrite.folder(dir, option, "dataset", d -> Files.isRegularFile(d.resolve(FILE_NAME)));
    }

    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve(FILE_NAME).toFile(), this);
    }

    private static void checkRange(Path file, String field, long value, long min, long max) throws DatasetFormatException {
        if (value < min || value > max) {
            throw new DatasetFormatException(file, field + " is " + value + "; a dataset has " + min + ".." + max);
        }
    }

    /** Reads and checks {@code dir/dataset.json}; a missing or foreign manifest is a {@link DatasetFormatException}. */
    public static DatasetManifest read(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            if (!Files.isDirectory(dir)) {
                throw new NoSuchFileException(dir.toString(), null, "no such dataset directory");
            }
            throw new DatasetFormatException(file, "missing: " + dir + " is not a qwm dataset (no " + FILE_NAME + ")");
        }
        DatasetManifest m;
        try {
            m = JSON.readValue(file.toFile(), DatasetManifest.class);
        } catch (IOException e) {
            throw new DatasetFormatException(file, "not a readable dataset manifest: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
        }
        if (!FORMAT.equals(m.format())) {
            throw new DatasetFormatException(file, "format is '" + m.format() + "', expected '" + FORMAT + "'");
        }
        if (m.splits() == null || !m.splits().containsKey(Split.TRAIN.id())
                || !m.splits().containsKey(Split.VALIDATION.id())) {
            throw new DatasetFormatException(file, "lists no train and validation splits");
        }
        // checked here, before any reader sizes an array by them
        checkRange(file, "imageSize", m.imageSize(), 1, EpisodeFile.MAX_IMAGE_SIZE);
        checkRange(file, "stateDim", m.stateDim(), 1, EpisodeFile.MAX_DIM);
        checkRange(file, "proprioDim", m.proprioDim(), 1, EpisodeFile.MAX_DIM);
        checkRange(file, "actionDim", m.actionDim(), 1, EpisodeFile.MAX_DIM);
        checkRange(file, "stepsPerEpisode", m.stepsPerEpisode(), 1, EpisodeFile.MAX_STEPS);
        for (Split s : Split.values()) {
            checkRange(file, "splits." + s.id() + ".episodes", m.split(s).episodes(), 0, Integer.MAX_VALUE);
        }
        return m;
    }
}
