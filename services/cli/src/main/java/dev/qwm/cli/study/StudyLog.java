package dev.qwm.cli.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.files.StagedWrite;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * A study's progress as files, so that it survives the stack and the machine: a folder (committed with the
 * repository) holding {@code study.json} (the study id and the fingerprint of its grid) and chunks
 * {@code episodes-00001.jsonl.gz}, {@code episodes-00002.jsonl.gz}, ...: one JSON line per stored episode, as the
 * collector served it ({@code {"completed": <EpisodeCompleted>, "trace": <GetEpisodeTraceResponse>}}). A chunk is
 * written once, whole (staged and renamed), and never changed; each export adds one with the episodes stored since
 * the last, so that a version-controlled log only grows. An episode is in the log at most once: a later chunk never
 * repeats an index.
 */
public final class StudyLog {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CHUNK = Pattern.compile("episodes-(\\d{5})\\.jsonl\\.gz");
    static final String STUDY_FILE = "study.json";

    private final Path dir;
    private final String studyId;
    /** episode index -> its record, from every chunk */
    private final TreeMap<Integer, JsonNode> episodes = new TreeMap<>();
    private int lastChunk;

    private StudyLog(Path dir, String studyId) {
        this.dir = dir;
        this.studyId = studyId;
    }

    /**
     * Opens the log in {@code dir}, creating it for a new study; an existing log must be of the same study and grid.
     *
     * @param fingerprint what makes the study this study (its grid, seeds, episodes, FP model), see {@link StudyRunner}
     * @throws IllegalArgumentException if the folder holds another study's log, or a chunk is unreadable
     */
    public static StudyLog open(Path dir, String studyId, String fingerprint) {
        StudyLog log = new StudyLog(dir, studyId);
        Path study = dir.resolve(STUDY_FILE);
        try {
            if (Files.isRegularFile(study)) {
                JsonNode s = JSON.readTree(study.toFile());
                if (!s.path("study_id").asText().equals(studyId) || !s.path("fingerprint").asText().equals(fingerprint)) {
                    throw new IllegalArgumentException("the episode log " + dir + " is of study '"
                            + s.path("study_id").asText() + "' with grid " + s.path("fingerprint").asText()
                            + ", not of this spec ('" + studyId + "', grid " + fingerprint + "): the spec changed"
                            + " since its episodes were planned; restore it, or give the changed study another name"
                            + " and log folder");
                }
            } else {
                Files.createDirectories(dir);
                ObjectNode s = JSON.createObjectNode().put("study_id", studyId).put("fingerprint", fingerprint);
                StagedWrite.file(study, "log", "study file").write(staged -> {
                    Files.writeString(staged, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s) + "\n");
                    return null;
                });
            }
            log.read();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the episode log " + dir + ": " + e.getMessage(), e);
        }
        return log;
    }

    /** Where a study report keeps the rollout drift it measured from the study's models (one file per pair of models). */
    public static final String DRIFT = "drift";

    /** The study id of the log in {@code dir}, read from its study.json alone (no chunk is read). */
    public static String studyIdOf(Path dir) {
        Path study = dir.resolve(STUDY_FILE);
        if (!Files.isRegularFile(study)) {
            throw new IllegalArgumentException(dir + " is not an episode log (no " + STUDY_FILE + ")");
        }
        try {
            return JSON.readTree(study.toFile()).path("study_id").asText();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + study + ": " + e.getMessage(), e);
        }
    }

    /** An existing log, whatever its study: for reading what it holds. */
    public static StudyLog read(Path dir) {
        Path study = dir.resolve(STUDY_FILE);
        if (!Files.isRegularFile(study)) {
            throw new IllegalArgumentException(dir + " is not an episode log (no " + STUDY_FILE + ")");
        }
        try {
            JsonNode s = JSON.readTree(study.toFile());
            return open(dir, s.path("study_id").asText(), s.path("fingerprint").asText());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + study + ": " + e.getMessage(), e);
        }
    }

    public String studyId() {
        return studyId;
    }

    private void read() throws IOException {
        List<Path> chunks;
        try (Stream<Path> files = Files.list(dir)) {
            chunks = files.filter(p -> CHUNK.matcher(p.getFileName().toString()).matches()).sorted().toList();
        }
        for (Path chunk : chunks) {
            Matcher m = CHUNK.matcher(chunk.getFileName().toString());
            m.matches();
            lastChunk = Math.max(lastChunk, Integer.parseInt(m.group(1)));
            try (BufferedReader r = new BufferedReader(new InputStreamReader(
                    new GZIPInputStream(Files.newInputStream(chunk)), StandardCharsets.UTF_8))) {
                String line;
                int n = 0;
                while ((line = r.readLine()) != null) {
                    n++;
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode record = JSON.readTree(line);
                    JsonNode id = record.path("completed").path("episodeId");
                    if (!id.path("studyId").path("value").asText().equals(studyId)) {
                        throw new IllegalArgumentException(chunk + " line " + n + ": an episode of study '"
                                + id.path("studyId").path("value").asText() + "', not of '" + studyId + "'");
                    }
                    // the first record of an index is the episode (a later one could only repeat it)
                    episodes.putIfAbsent(id.path("index").asInt(0), record);
                }
            } catch (java.util.zip.ZipException | java.io.EOFException e) {
                throw new IllegalArgumentException("episode log chunk " + chunk + " is damaged (" + e.getMessage()
                        + "); restore it from version control", e);
            }
        }
    }

    /** Where calibrated artifacts are kept with the log. */
    static final String ARTIFACTS = "artifacts";
    /** The quantizer's marker that a bundle's events were published: not kept, a new stack publishes them again. */
    private static final String PUBLISHED_MARKER = ".artifact-events-published";

    /**
     * Keeps a calibrated artifact (a bundle folder of the quantizer's store) with the log, once: re-creating it
     * costs its calibration (minutes of planning per recipe), keeping it a few hundred KiB. Weight-only artifacts are
     * not kept; they are re-created in a second.
     */
    public void keepArtifact(Path bundle) {
        Path target = dir.resolve(ARTIFACTS).resolve(bundle.getFileName().toString());
        if (Files.isDirectory(target)) {
            return;
        }
        try {
            Files.createDirectories(target.getParent());
            StagedWrite.folder(target, "log", "artifact", p -> false).write(staged -> {
                copyBundle(bundle, staged);
                return null;
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep artifact " + bundle + " in " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * Puts the artifacts kept with the log into a quantizer store that does not hold them (a fresh machine), each
     * staged beside its place and renamed into it; the quantizer then finds them by their content key, verifies them
     * and reuses them instead of calibrating again.
     */
    public void seedStore(Path store, java.io.PrintStream out) {
        Path kept = dir.resolve(ARTIFACTS);
        if (!Files.isDirectory(kept)) {
            return;
        }
        try (Stream<Path> bundles = Files.list(kept)) {
            int seeded = 0;
            for (Path bundle : bundles.filter(p -> Files.isDirectory(p) && !p.getFileName().toString().startsWith(".")).sorted().toList()) {
                Path target = store.resolve(bundle.getFileName().toString());
                if (Files.exists(target)) {
                    continue;
                }
                Files.createDirectories(store);
                StagedWrite.folder(target, "artifact store", "artifact", p -> false).write(staged -> {
                    copyBundle(bundle, staged);
                    return null;
                });
                seeded++;
            }
            if (seeded > 0) {
                out.printf(Locale.ROOT, "episode log %s: %d calibrated artifacts put into the artifact store %s%n",
                        dir, seeded, store);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot put the artifacts of " + kept + " into " + store + ": " + e.getMessage(), e);
        }
    }

    /** The files of a bundle folder (flat) into another folder. */
    static void copyBundle(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                if (!f.getFileName().toString().equals(PUBLISHED_MARKER)) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
        }
    }

    public Path dir() {
        return dir;
    }

    /** Indices of the episodes in the log. */
    public synchronized Set<Integer> indices() {
        return new TreeSet<>(episodes.keySet());
    }

    /** Every episode record, by index. */
    public List<JsonNode> records() {
        return new ArrayList<>(episodes.values());
    }

    public synchronized boolean contains(int index) {
        return episodes.containsKey(index);
    }

    /**
     * Adds the records of episodes not in the log yet as one new chunk; returns how many were new (0: nothing
     * written).
     */
    public synchronized int append(List<JsonNode> records) {
        List<JsonNode> fresh = new ArrayList<>();
        Set<Integer> seen = new TreeSet<>();
        for (JsonNode r : records) {
            int index = r.path("completed").path("episodeId").path("index").asInt(0);
            if (!episodes.containsKey(index) && seen.add(index)) {
                fresh.add(r);
            }
        }
        if (fresh.isEmpty()) {
            return 0;
        }
        Path chunk = dir.resolve(String.format(Locale.ROOT, "episodes-%05d.jsonl.gz", lastChunk + 1));
        try {
            StagedWrite.file(chunk, "log", "episode log chunk").write(staged -> {
                try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(staged));
                     Writer w = new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8)) {
                    for (JsonNode r : fresh) {
                        w.write(JSON.writeValueAsString(r));
                        w.write('\n');
                    }
                }
                return null;
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + chunk + ": " + e.getMessage(), e);
        }
        lastChunk++;
        for (JsonNode r : fresh) {
            episodes.put(r.path("completed").path("episodeId").path("index").asInt(0), r);
        }
        return fresh.size();
    }
}
