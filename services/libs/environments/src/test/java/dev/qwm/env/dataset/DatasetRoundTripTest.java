package dev.qwm.env.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.env.wall.WallEnvironment;
import dev.qwm.env.wall.WallEpisodeGenerator;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetRoundTripTest {

    @TempDir
    static Path tmp;
    static Path dir;
    static DatasetManifest manifest;

    @BeforeAll
    static void generate() throws IOException {
        dir = tmp.resolve("wall");
        List<Integer> progress = new ArrayList<>();
        manifest = DatasetGenerator.generate(new WallEpisodeGenerator(5),
                new DatasetGenerator.Options(40, 20, 64, 5, 0.1, 2, 4), dir, progress::add);
        assertEquals(40, progress.get(progress.size() - 1));
    }

    @Test
    void manifestDescribesTheFiles() throws IOException {
        DatasetManifest m = DatasetManifest.read(dir);
        assertEquals("wall", m.environment());
        assertEquals(36, m.split(Split.TRAIN).episodes());
        assertEquals(4, m.split(Split.VALIDATION).episodes());
        assertEquals(36 * 20, m.split(Split.TRAIN).steps());
        assertEquals(Files.size(dir.resolve("train.qwmd")), m.split(Split.TRAIN).bytes());
        assertEquals(2, m.normalization().actionMean().length);
        assertEquals(10, m.normalization().macroActionStd(5).length);
        DatasetReader.open(dir).verifyChecksums();
    }

    @Test
    void episodesReadBackAndReplayExactly() throws IOException {
        DatasetReader r = DatasetReader.open(dir);
        List<Episode> train = r.readAll(Split.TRAIN, true);
        List<Episode> val = r.readAll(Split.VALIDATION, false);
        assertEquals(36, train.size());
        assertEquals(4, val.size());
        assertNull(val.get(0).frames());
        boolean[] seen = new boolean[40];
        for (Episode e : train) {
            seen[e.index()] = true;
        }
        for (Episode e : val) {
            assertTrue(!seen[e.index()], "episode in both splits");
            seen[e.index()] = true;
        }
        for (boolean s : seen) {
            assertTrue(s);
        }
        // the stored actions replayed from the stored start give the stored states and frames
        Episode e = train.get(3);
        WallEnvironment env = new WallEnvironment();
        env.reset(e.state(0));
        assertArrayEquals(env.render(64), e.frame(0));
        for (int t = 0; t < e.steps(); t++) {
            env.step(e.action(t));
            double[] s = env.state();
            assertEquals((float) s[0], (float) e.state(t + 1)[0]);
            assertEquals((float) s[1], (float) e.state(t + 1)[1]);
            assertArrayEquals(env.render(64), e.frame(t + 1));
        }
        assertArrayEquals(e.state(5), e.proprio(5), 0.0);
    }

    @Test
    void sameSeedGivesIdenticalBytesWhateverTheThreads() throws IOException {
        Path other = tmp.resolve("again");
        DatasetManifest m = DatasetGenerator.generate(new WallEpisodeGenerator(5),
                new DatasetGenerator.Options(40, 20, 64, 5, 0.1, 1, 4), other, n -> { });
        assertEquals(manifest.split(Split.TRAIN).sha256(), m.split(Split.TRAIN).sha256());
        assertEquals(manifest.split(Split.VALIDATION).sha256(), m.split(Split.VALIDATION).sha256());
        assertArrayEquals(Files.readAllBytes(dir.resolve("dataset.json")), Files.readAllBytes(other.resolve("dataset.json")));
    }

    @Test
    void normalisationMatchesADirectComputation() throws IOException {
        DatasetReader r = DatasetReader.open(dir);
        double sum = 0;
        double sumSq = 0;
        long n = 0;
        for (Split s : Split.values()) {
            for (Episode e : r.readAll(s, false)) {
                for (int t = 0; t < e.steps(); t++) {
                    double a = e.actions()[2 * t + 1];
                    sum += a;
                    sumSq += a * a;
                    n++;
                }
            }
        }
        double mean = sum / n;
        double std = Math.sqrt((sumSq - n * mean * mean) / (n - 1));
        assertEquals(mean, manifest.normalization().actionMean()[1], 1e-9);
        assertEquals(std, manifest.normalization().actionStd()[1], 1e-9);
        assertEquals(800, manifest.normalization().actionCount());
    }

    @Test
    void truncatedFileIsNamedWithTheEpisode() throws IOException {
        Path copy = copyDataset("truncated");
        Path train = copy.resolve("train.qwmd");
        try (RandomAccessFile f = new RandomAccessFile(train.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        DatasetReader r = DatasetReader.open(copy);
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> r.readAll(Split.TRAIN, true));
        assertTrue(e.getMessage().contains("train.qwmd"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        DatasetFormatException v = assertThrows(DatasetFormatException.class, r::verifyChecksums);
        assertTrue(v.getMessage().contains("truncated"), v.getMessage());
    }

    @Test
    void foreignFileIsRejected() throws IOException {
        Path copy = copyDataset("foreign");
        Files.writeString(copy.resolve("validation.qwmd"), "PK\u0003\u0004 this is a zip, not a dataset");
        DatasetReader r = DatasetReader.open(copy);
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> r.readAll(Split.VALIDATION, false));
        assertTrue(e.getMessage().contains("validation.qwmd") && e.getMessage().contains("not a qwm dataset"),
                e.getMessage());
    }

    @Test
    void flippedByteIsCaughtByTheRecordChecksum() throws IOException {
        Path copy = copyDataset("damaged");
        Path train = copy.resolve("train.qwmd");
        try (RandomAccessFile f = new RandomAccessFile(train.toFile(), "rw")) {
            f.seek(200); // inside the first episode's states
            int b = f.read();
            f.seek(200);
            f.write(b ^ 0x40);
        }
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> DatasetReader.open(copy).readAll(Split.TRAIN, false));
        assertTrue(e.getMessage().contains("checksum mismatch in episode 0"), e.getMessage());
    }

    @Test
    void missingManifestSaysSo() {
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> DatasetReader.open(tmp));
        assertTrue(e.getMessage().contains("dataset.json"), e.getMessage());
    }

    @Test
    void splitFromAnotherDatasetIsRejected() throws IOException {
        Path other = tmp.resolve("other-size");
        DatasetGenerator.generate(new WallEpisodeGenerator(5), new DatasetGenerator.Options(10, 5, 32, 5, 0.1, 1, 1),
                other, n -> { });
        Path copy = copyDataset("mixed");
        Files.copy(other.resolve("train.qwmd"), copy.resolve("train.qwmd"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> DatasetReader.open(copy).episodes(Split.TRAIN, false));
        assertTrue(e.getMessage().contains("does not match dataset.json"), e.getMessage());
    }

    @Test
    void streamEndsCleanly() throws IOException {
        try (EpisodeStream s = DatasetReader.open(dir).episodes(Split.VALIDATION, true)) {
            for (int i = 0; i < 4; i++) {
                assertNotNull(s.next());
            }
            assertNull(s.next());
            assertNull(s.next());
        }
    }

    @Test
    void hostileSizesAreRefusedByNameBeforeAnythingIsAllocated() throws IOException {
        Path copy = copyDataset("hostile-manifest");
        Path json = copy.resolve("dataset.json");
        Files.writeString(json, Files.readString(json).replaceFirst("\"stateDim\" : 2", "\"stateDim\" : 1000000000"));
        DatasetFormatException m = assertThrows(DatasetFormatException.class, () -> DatasetReader.open(copy));
        assertTrue(m.getMessage().contains("stateDim is 1000000000; a dataset has 1..1024"), m.getMessage());

        // a record claiming a million steps (the per-record limit) in a file of a few hundred kB
        Path record = copyDataset("hostile-record");
        Path train = record.resolve("train.qwmd");
        try (RandomAccessFile f = new RandomAccessFile(train.toFile(), "rw")) {
            f.seek(8);
            int envLength = f.readUnsignedShort();
            long episodeStart = 8 + 2 + envLength + 5 * 4;
            f.seek(episodeStart + 8);
            int policyLength = f.readUnsignedShort();
            f.seek(episodeStart + 8 + 2 + policyLength);
            assertEquals(20, f.readInt(), "the steps field of episode 0");
            f.seek(episodeStart + 8 + 2 + policyLength);
            f.writeInt(1_000_000);
        }
        DatasetFormatException r = assertThrows(DatasetFormatException.class,
                () -> DatasetReader.open(record).readAll(Split.TRAIN, true));
        assertTrue(r.getMessage().contains("episode 0 claims 1000000 steps") && r.getMessage().contains("more than the whole file"),
                r.getMessage());
    }

    @Test
    void aGenerationThatFailsMidwayLeavesTheOldDatasetAsItWas() throws IOException {
        Path copy = copyDataset("kept");
        byte[] train = Files.readAllBytes(copy.resolve("train.qwmd"));
        WallEpisodeGenerator real = new WallEpisodeGenerator(9);
        EpisodeGenerator failing = new EpisodeGenerator() {
            public dev.qwm.env.EnvironmentKind kind() { return real.kind(); }
            public int stateDim() { return real.stateDim(); }
            public int proprioDim() { return real.proprioDim(); }
            public int actionDim() { return real.actionDim(); }
            public Map<String, Object> description() { return real.description(); }
            public DataMetrics newMetrics() { return real.newMetrics(); }
            public Episode generate(int index, int steps, int imageSize) {
                if (index == 25) {
                    throw new IllegalStateException("the machine went down at episode 25");
                }
                return real.generate(index, steps, imageSize);
            }
        };
        List<Integer> progress = new ArrayList<>();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> DatasetGenerator.generate(failing,
                new DatasetGenerator.Options(40, 20, 64, 9, 0.1, 2, 4), DatasetManifest.target(copy, "--out").force(true),
                progress::add));
        assertEquals("the machine went down at episode 25", e.getMessage());
        assertTrue(progress.size() >= 20, "the new files were being written: " + progress.size());
        assertArrayEquals(train, Files.readAllBytes(copy.resolve("train.qwmd")));
        DatasetReader.open(copy).verifyChecksums();
        try (var names = Files.list(tmp)) {
            assertTrue(names.noneMatch(p -> p.getFileName().toString().contains(".staging-")), "no staging folder is left");
        }
    }

    @Test
    void aDatasetIsReplacedOnlyWithForce() throws IOException {
        Path copy = copyDataset("replaced");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DatasetGenerator.generate(
                new WallEpisodeGenerator(5), new DatasetGenerator.Options(10, 5, 32, 5, 0.1, 1, 1),
                DatasetManifest.target(copy, "--out"), n -> { }));
        assertEquals("--out " + copy + " already holds a dataset; pass --force to replace it", e.getMessage());
        DatasetManifest m = DatasetGenerator.generate(new WallEpisodeGenerator(5),
                new DatasetGenerator.Options(10, 5, 32, 5, 0.1, 1, 1), DatasetManifest.target(copy, "--out").force(true), n -> { });
        assertEquals(m.splits(), DatasetManifest.read(copy).splits());
        assertEquals(32, DatasetManifest.read(copy).imageSize());
        DatasetReader.open(copy).verifyChecksums();
    }

    private static Path copyDataset(String name) throws IOException {
        Path copy = tmp.resolve(name);
        Files.createDirectories(copy);
        for (String f : new String[] {"dataset.json", "train.qwmd", "validation.qwmd"}) {
            Files.copy(dir.resolve(f), copy.resolve(f));
        }
        return copy;
    }
}
