package dev.qwm.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagedWriteTest {

    private static final Predicate<Path> HOLDS_BUNDLE = p -> Files.exists(p.resolve("model.json"));

    @TempDir
    Path tmp;

    private static void bundle(Path dir, String content) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("model.json"), content);
        Files.writeString(dir.resolve("predictor.onnx"), content + "-weights");
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesANewFolderInOneRenameAndLeavesNoSibling() throws IOException {
        Path out = tmp.resolve("out");
        String r = StagedWrite.folder(out, "--out", "bundle", HOLDS_BUNDLE).write(dir -> {
            bundle(dir, "new");
            return "done";
        });
        assertEquals("done", r);
        assertEquals("new", Files.readString(out.resolve("model.json")));
        assertEquals(List.of("out"), names());
    }

    @Test
    void anEmptyFolderIsNotSomethingToLose() throws IOException {
        Path out = Files.createDirectory(tmp.resolve("out"));
        StagedWrite.folder(out, "--out", "bundle", HOLDS_BUNDLE).write(dir -> {
            bundle(dir, "new");
            return null;
        });
        assertEquals("new", Files.readString(out.resolve("model.json")));
    }

    @Test
    void anExistingBundleIsReplacedOnlyWithForce() throws IOException {
        Path out = tmp.resolve("out");
        bundle(out, "old");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StagedWrite.folder(out, "--out", "bundle", HOLDS_BUNDLE).write(dir -> null));
        assertEquals("--out " + out + " already holds a bundle; pass --force to replace it", e.getMessage());
        assertEquals("old", Files.readString(out.resolve("model.json")));

        StagedWrite.folder(out, "--out", "bundle", HOLDS_BUNDLE).force(true).write(dir -> {
            Files.writeString(dir.resolve("model.json"), "new");
            return null;
        });
        assertEquals("new", Files.readString(out.resolve("model.json")));
        assertFalse(Files.exists(out.resolve("predictor.onnx")), "the old folder is replaced as a whole, not merged");
        assertEquals(List.of("out"), names(), "the old folder set aside is removed");
    }

    @Test
    void aFolderThatHoldsSomethingElseIsNeverReplaced() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("home"));
        Files.writeString(out.resolve("thesis.tex"), "years of work");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StagedWrite.folder(out, "--out", "bundle", HOLDS_BUNDLE).force(true).check());
        assertTrue(e.getMessage().contains("exists and does not hold a bundle; refusing to replace it, --force or not"), e.getMessage());
        assertEquals("years of work", Files.readString(out.resolve("thesis.tex")));
    }

    @Test
    void aFailureMidwayLeavesTheOldFolderAndThrowsTheBodysOwnException() throws IOException {
        Path out = tmp.resolve("out");
        bundle(out, "old");
        IOException diskFull = new IOException("No space left on device");
        IOException thrown = assertThrows(IOException.class,
                () -> StagedWrite.folder(out, "--out", "bundle", HOLDS_BUNDLE).force(true).write(dir -> {
                    Files.writeString(dir.resolve("predictor.onnx"), "half");
                    throw diskFull;
                }));
        assertSame(diskFull, thrown);
        assertEquals("old", Files.readString(out.resolve("model.json")));
        assertEquals("old-weights", Files.readString(out.resolve("predictor.onnx")));
        assertEquals(List.of("out"), names(), "the staging sibling is removed");
    }

    @Test
    void theTargetMayNeitherBeNorLieInsideNorContainASourceEvenWithForce() throws IOException {
        Path src = tmp.resolve("models/wall");
        bundle(src, "fp");
        for (Path out : List.of(src, src.resolve("q"), tmp.resolve("models"), tmp.resolve("models/../models/wall"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> StagedWrite.folder(out, "--out", "bundle", HOLDS_BUNDLE).force(true).source(src, "--bundle").check());
            assertTrue(e.getMessage().contains("--bundle " + src), e.getMessage());
            assertTrue(e.getMessage().contains("a write never goes into what it reads"), e.getMessage());
        }
        Path link = Files.createSymbolicLink(tmp.resolve("link"), src);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StagedWrite.folder(link, "--out", "bundle", HOLDS_BUNDLE).force(true).source(src, "--bundle").check());
        assertTrue(e.getMessage().startsWith("--out " + link + " is --bundle " + src + " itself"), e.getMessage());
        assertEquals("fp", Files.readString(src.resolve("model.json")));
    }

    @Test
    void aFileIsReplacedInOneRenameOnlyWithForce() throws IOException {
        Path log = tmp.resolve("run.json");
        Files.writeString(log, "old");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StagedWrite.file(log, "--results", "report").replaceHint("pass --resume or --force").check());
        assertEquals("--results " + log + " already holds a report; pass --resume or --force", e.getMessage());

        assertThrows(IOException.class, () -> StagedWrite.file(log, "--results", "report").force(true).write(f -> {
            Files.writeString(f, "half");
            throw new IOException("interrupted");
        }));
        assertEquals("old", Files.readString(log));
        assertEquals(List.of("run.json"), names());

        StagedWrite.file(log, "--results", "report").force(true).write(f -> Files.writeString(f, "new"));
        assertEquals("new", Files.readString(log));
        assertEquals(List.of("run.json"), names());
    }

    @Test
    void aFolderIsNotReplacedByAFileNorAFileByAFolder() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("d"));
        Files.writeString(dir.resolve("x"), "x");
        assertThrows(IllegalArgumentException.class, () -> StagedWrite.file(dir, "--results", "report").force(true).check());
        Path file = Files.writeString(tmp.resolve("f"), "f");
        assertThrows(IllegalArgumentException.class,
                () -> StagedWrite.folder(file, "--out", "bundle", HOLDS_BUNDLE).force(true).check());
    }

    /**
     * A stopped command saves its work from a shutdown hook (./qwm study run exports its last episodes): the write
     * must commit there too, where no further shutdown hook can be added. Run in a child JVM that exits at once.
     */
    @Test
    void aWriteMadeByAShutdownHookCommits(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("saved.txt");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), WriteOnShutdown.class.getName(), target.toString())
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, child.waitFor(), output);
        assertEquals("saved on shutdown", Files.readString(target), output);
        try (java.util.stream.Stream<Path> left = Files.list(dir)) {
            assertEquals(java.util.List.of(target), left.toList(), "no staging sibling left");
        }
    }

    /** The child JVM of {@link #aWriteMadeByAShutdownHookCommits}. */
    public static final class WriteOnShutdown {
        public static void main(String[] args) {
            Path target = Path.of(args[0]);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    StagedWrite.file(target, "--out", "file").write(staged -> {
                        Files.writeString(staged, "saved on shutdown");
                        return null;
                    });
                } catch (Exception e) {
                    e.printStackTrace();
                }
            }));
        }
    }

    @Test
    void aStagingLeftByAKilledWriterIsRemovedByTheNextWriteAndALiveOnesIsNot() throws Exception {
        Path target = tmp.resolve("out");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), WriteAndHang.class.getName(), target.toString())
                .redirectErrorStream(true).start();
        try {
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8));
            StringBuilder seen = new StringBuilder();
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("staged ")) {
                seen.append(line).append('\n'); // a JVM warning, say
            }
            assertTrue(line != null, "the child stages its write: " + seen);
            Path childs = Path.of(line.substring("staged ".length()));
            assertTrue(Files.isDirectory(childs), childs.toString());

            // the writer still runs: its staging stays whatever this process writes to the same target
            String stderr = writeCapturingStderr(target, "first");
            assertTrue(Files.isDirectory(childs), "a live writer's staging is left alone: " + stderr);
            assertEquals("", stderr);

            child.destroyForcibly(); // SIGKILL: neither finally blocks nor shutdown hooks run
            child.waitFor();
            assertTrue(Files.isDirectory(childs), "SIGKILL leaves the staging behind");

            stderr = writeCapturingStderr(target, "second");
            assertFalse(Files.exists(childs), "the next write removed the dead writer's staging");
            assertTrue(stderr.contains("removed " + childs) && stderr.contains("process " + child.pid()), stderr);
            assertEquals("second", Files.readString(target.resolve("model.json")));
            try (Stream<Path> left = Files.list(tmp)) {
                assertEquals(List.of(target), left.toList(), "nothing else is left beside the target");
            }
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void stagingsOfLiveOrUnknownWritersAreKept() throws Exception {
        Path target = tmp.resolve("out");
        long self = ProcessHandle.current().pid();
        long start = ProcessHandle.current().info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
        // this process names its host as the stagings it writes do
        String host = ownStagingHost(target);
        String uuid = "-" + java.util.UUID.randomUUID();
        Path live = Files.createDirectory(tmp.resolve(".out.staging-p" + self + "-" + start + "@" + host + uuid));
        Path unnamed = Files.createDirectory(tmp.resolve(".out.staging-" + java.util.UUID.randomUUID()));
        // an id no process has (above Linux's pid_max): a writer that is gone, unless it ran on another host
        Path gone = Files.createDirectory(tmp.resolve(".out.staging-p" + (1L << 40) + "-" + start + "@" + host + uuid));
        Path elsewhere = Files.createDirectory(tmp.resolve(".out.staging-p" + (1L << 40) + "-" + start + "@not-" + host + uuid));
        String stderr = writeCapturingStderr(target, "v");
        assertTrue(Files.isDirectory(live) && Files.isDirectory(unnamed) && Files.isDirectory(elsewhere), stderr);
        assertFalse(Files.exists(gone), stderr);
        if (start != 0) {
            // the same id, another start: the id was reused, the writer is gone
            Path reused = Files.createDirectory(tmp.resolve(".out.staging-p" + self + "-" + (start - 60_000) + "@" + host + uuid));
            writeCapturingStderr(target, "w");
            assertFalse(Files.exists(reused));
            assertTrue(Files.isDirectory(live));
        }
    }

    /** The host part of the staging names this process writes, seen by staging a write of {@code target}. */
    private static String ownStagingHost(Path target) throws IOException {
        String[] name = new String[1];
        StagedWrite.folder(target.resolveSibling("probe"), "--out", "bundle", HOLDS_BUNDLE).force(true).write(staged -> {
            name[0] = staged.getFileName().toString();
            bundle(staged, "probe");
            return null;
        });
        StagedWrite.deleteQuietly(target.resolveSibling("probe"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\.probe\\.staging-p\\d+-\\d+@(.*)-[0-9a-f-]{36}")
                .matcher(name[0]);
        assertTrue(m.matches(), name[0]);
        return m.group(1);
    }

    private static String writeCapturingStderr(Path target, String content) throws IOException {
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            StagedWrite.folder(target, "--out", "bundle", HOLDS_BUNDLE).force(true).write(staged -> {
                bundle(staged, content);
                return null;
            });
        } finally {
            System.setErr(err);
        }
        return captured.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The child JVM of {@link #aStagingLeftByAKilledWriterIsRemovedByTheNextWriteAndALiveOnesIsNot}: hangs mid-write. */
    public static final class WriteAndHang {
        public static void main(String[] args) throws Exception {
            StagedWrite.folder(Path.of(args[0]), "--out", "bundle", HOLDS_BUNDLE).write(staged -> {
                bundle(staged, "never committed");
                System.out.println("staged " + staged);
                System.out.flush();
                try {
                    Thread.sleep(600_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return null;
            });
        }
    }
}
