package dev.qwm.planning.eval;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.planning.mpc.EpisodeResult;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The log of an evaluation's finished episodes, one {@link EpisodeResult} as JSON per line, appended and flushed as
 * each episode finishes, so that an interrupted evaluation can go on from it ({@link Evaluation#run} takes the
 * finished episodes). A run killed mid-write leaves at most its last line cut off: that episode is planned again.
 */
public final class EpisodeLog implements Closeable {

    private static final ObjectMapper LINE = new ObjectMapper();

    private final Path file;
    private final Writer out;
    private final Map<Integer, EpisodeResult> finished;

    private EpisodeLog(Path file, Writer out, Map<Integer, EpisodeResult> finished) {
        this.file = file;
        this.out = out;
        this.finished = Collections.unmodifiableMap(finished);
    }

    /** The episode log of the results file {@code results}: {@code results.episodes.jsonl} beside it. */
    public static Path beside(Path results) {
        return Path.of(results + ".episodes.jsonl");
    }

    /** A new, empty log at {@code file} (an existing one is truncated), its folder created if need be. */
    public static EpisodeLog create(Path file) throws IOException {
        createParent(file);
        return new EpisodeLog(file, Files.newBufferedWriter(file), new TreeMap<>());
    }

    /**
     * The log at {@code file} with the episodes it holds, appended to from now on; a cut-off last line is dropped
     * (the file is rewritten atomically without it, and {@code notes} told).
     *
     * @throws IllegalArgumentException if another line is not an episode result, or an episode is there twice
     */
    public static EpisodeLog resume(Path file, Consumer<String> notes) throws IOException {
        createParent(file);
        Map<Integer, EpisodeResult> finished = read(file, notes);
        return new EpisodeLog(file, Files.newBufferedWriter(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND),
                finished);
    }

    /** The episodes of the log at {@code file} by index (none if there is no file); see {@link #resume}. */
    public static Map<Integer, EpisodeResult> read(Path file, Consumer<String> notes) throws IOException {
        if (!Files.exists(file)) {
            return new TreeMap<>();
        }
        List<String> lines = Files.readAllLines(file);
        return parse(file, lines, cut -> {
            // The last line of a killed run may be cut off: that episode is planned again, and the log is
            // rewritten without the fragment (atomically) so that appended episodes start on a line of their own.
            notes.accept(file + ": line " + (cut + 1) + " is incomplete; that episode is planned again");
            Path kept = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(kept, lines.subList(0, cut));
            Files.move(kept, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        });
    }

    /**
     * The episodes of a finished log, plain ({@code .episodes.jsonl}) or gzip-compressed as the repository keeps them
     * ({@code .gz}), by index; read only: a line that is not an episode, the last one too, is an error naming the
     * file and the line.
     */
    public static Map<Integer, EpisodeResult> readFinished(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "no episode log");
        }
        List<String> lines;
        if (file.getFileName().toString().endsWith(".gz")) {
            try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
                    new java.util.zip.GZIPInputStream(Files.newInputStream(file)), java.nio.charset.StandardCharsets.UTF_8))) {
                lines = in.lines().toList();
            }
        } else {
            lines = Files.readAllLines(file);
        }
        return parse(file, lines, null);
    }

    /** What to do with a last line that is cut off (its index); none: it is an error like any other. */
    private interface CutLastLine {
        void at(int line) throws IOException;
    }

    private static Map<Integer, EpisodeResult> parse(Path file, List<String> lines, CutLastLine cutLast)
            throws IOException {
        Map<Integer, EpisodeResult> finished = new TreeMap<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            if (line.isBlank()) {
                continue;
            }
            EpisodeResult r;
            try {
                r = LINE.readValue(line, EpisodeResult.class);
            } catch (JacksonException e) {
                if (cutLast != null && n == lines.size() - 1) {
                    cutLast.at(n);
                    continue;
                }
                throw new IllegalArgumentException(file + " line " + (n + 1) + " is not an episode result: "
                        + e.getOriginalMessage());
            }
            if (finished.put(r.episodeIndex(), r) != null) {
                throw new IllegalArgumentException(file + " holds episode " + r.episodeIndex() + " twice (line "
                        + (n + 1) + ")");
            }
        }
        return finished;
    }

    /** The episodes that were in the log when it was opened, by index. */
    public Map<Integer, EpisodeResult> finished() {
        return finished;
    }

    public Path file() {
        return file;
    }

    /** Appends one finished episode and flushes it, so that a kill loses at most the episode being written. */
    public synchronized void append(EpisodeResult r) {
        try {
            out.write(LINE.writeValueAsString(r));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the episode log " + file, e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    private static void createParent(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }
}
