package dev.qwm.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A write that either completes or leaves its target as it was: the content is written into a hidden sibling of the
 * target ({@code .<name>.staging-p<pid>-<start>@<host>-<random>}, same folder, hence the same file system), flushed to disk,
 * and renamed into place; a staging sibling whose writer was killed mid-write is removed by the next write of the
 * same target. An existing target is replaced only when the caller says so ({@link #force}) and only if it holds what
 * is being written (a bundle over a bundle, never over some other folder); a target that is, contains or lies inside
 * one of the write's {@link #source sources} is refused even then. Refusals are {@link IllegalArgumentException}s
 * naming the option, the path and the way out; {@link #check} gives them before long work starts.
 *
 * <p>Replacing a folder takes two renames (the old one aside, the new one in; the JDK has no atomic exchange): in
 * between, which no reader can see but a crash can, the old folder sits complete beside the target as
 * {@code .<name>.replaced-<random>}. A file is replaced in one rename.
 */
public final class StagedWrite {

    /** Writes the content into {@code staged}: for a folder an empty folder that exists, for a file a free path. */
    @FunctionalInterface
    public interface Body<T> {
        T write(Path staged) throws IOException;
    }

    private record Source(Path path, String option) {
    }

    /**
     * This process as a staging sibling names its writer: {@code p<pid>-<start, ms since the epoch>@<host>}. The host
     * (its name, as this process's namespace gives it) keeps a writer on another machine or container that shares
     * the folder from being judged by this one's process table.
     */
    private static final String HOST = host();
    private static final String OWNER = "p" + ProcessHandle.current().pid() + "-" + startMillis(ProcessHandle.current())
            + "@" + HOST;
    private static final Pattern OWNER_PATTERN = Pattern.compile("p(\\d+)-(\\d+)@(.*)-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}");

    private final Path target;
    /** The target as the user gave it, for messages. */
    private final Path shown;
    private final String option;
    private final String kind;
    private final boolean folder;
    private final Predicate<Path> holdsOne;
    private final List<Source> sources = new ArrayList<>();
    private boolean force;
    private String replaceHint = "pass --force to replace it";

    private StagedWrite(Path target, String option, String kind, boolean folder, Predicate<Path> holdsOne) {
        this.target = Objects.requireNonNull(target, "target").toAbsolutePath().normalize();
        this.shown = target;
        if (this.target.getParent() == null) {
            throw new IllegalArgumentException(option + " " + target + ": the root folder cannot be written");
        }
        this.option = Objects.requireNonNull(option, "option");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.folder = folder;
        this.holdsOne = holdsOne;
    }

    /**
     * A folder written as a whole.
     *
     * @param option   how the user named the target, e.g. {@code "--out"} (messages quote it)
     * @param kind     what the folder holds, e.g. {@code "bundle"}
     * @param holdsOne whether an existing folder holds a {@code kind} (only such a folder can be replaced)
     */
    public static StagedWrite folder(Path target, String option, String kind, Predicate<Path> holdsOne) {
        return new StagedWrite(target, option, kind, true, Objects.requireNonNull(holdsOne, "holdsOne"));
    }

    /** A single file written as a whole; an existing regular file can be replaced, a folder cannot. */
    public static StagedWrite file(Path target, String option, String kind) {
        return new StagedWrite(target, option, kind, false, Files::isRegularFile);
    }

    /** Whether an existing target holding a {@code kind} may be replaced (the user's {@code --force}). */
    public StagedWrite force(boolean force) {
        this.force = force;
        return this;
    }

    /** What the refusal of an existing target tells the user to do instead (default: pass --force). */
    public StagedWrite replaceHint(String hint) {
        this.replaceHint = Objects.requireNonNull(hint, "hint");
        return this;
    }

    /** A path the write reads from: the target may not be it, lie inside it or contain it, whatever {@link #force}. */
    public StagedWrite source(Path source, String option) {
        if (source != null) {
            sources.add(new Source(source, option));
        }
        return this;
    }

    public Path target() {
        return target;
    }

    /**
     * Refuses now what {@link #write} would refuse: a target overlapping a source, an existing target without
     * {@link #force}, an existing target that does not hold a {@code kind}.
     */
    public StagedWrite check() {
        Path real = real(target);
        for (Source s : sources) {
            Path src = real(s.path().toAbsolutePath().normalize());
            String relation = real.equals(src) ? "is" : real.startsWith(src) ? "is inside" : src.startsWith(real) ? "contains" : null;
            if (relation != null) {
                String what = relation.equals("is") ? s.option() + " " + s.path() + " itself" : s.option() + " " + s.path();
                throw new IllegalArgumentException(option + " " + shown + " " + relation + " " + what
                        + ": a write never goes into what it reads, --force or not (choose another " + option + ")");
            }
        }
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return this;
        }
        if (folder && !Files.isDirectory(target)) {
            throw new IllegalArgumentException(option + " " + shown + " is a file, not a folder for " + article(kind)
                    + "; refusing to replace it, --force or not (choose another " + option + ")");
        }
        if (!folder && Files.isDirectory(target)) {
            throw new IllegalArgumentException(option + " " + shown + " is a folder, not " + article(kind)
                    + " file; refusing to replace it, --force or not (choose another " + option + ")");
        }
        if (folder && isEmptyFolder(target)) {
            return this;
        }
        if (!holdsOne.test(target)) {
            throw new IllegalArgumentException(option + " " + shown + " exists and does not hold " + article(kind)
                    + "; refusing to replace it, --force or not (choose another " + option + ")");
        }
        if (!force) {
            throw new IllegalArgumentException(option + " " + shown + " already holds " + article(kind) + "; " + replaceHint);
        }
        return this;
    }

    /**
     * Checks again, writes {@code body} into a staging sibling, flushes it and renames it into place. When the body
     * fails (or the process is stopped) the staging sibling is removed and the target is untouched; the body's
     * exception is thrown as it was.
     */
    public <T> T write(Body<T> body) throws IOException {
        check();
        Path parent = target.getParent();
        Files.createDirectories(parent);
        removeStaleStagings();
        Path staged = parent.resolve(stagingPrefix() + OWNER + "-" + UUID.randomUUID());
        if (folder) {
            Files.createDirectory(staged);
        }
        // Ctrl-C runs shutdown hooks, not finally blocks: remove the half-written sibling then too. A write made by a
        // shutdown hook itself (a stopped command saving its work) cannot add one, and needs none: no hook runs later.
        Thread cleanup = new Thread(() -> deleteQuietly(staged), "qwm-staged-write-cleanup");
        boolean hooked;
        try {
            Runtime.getRuntime().addShutdownHook(cleanup);
            hooked = true;
        } catch (IllegalStateException shuttingDown) {
            hooked = false;
        }
        T result;
        try {
            result = body.write(staged);
            if (!Files.exists(staged)) {
                throw new IOException("the writer of " + target + " left nothing in " + staged);
            }
            sync(staged);
            commit(staged);
        } catch (Throwable e) {
            deleteQuietly(staged);
            throw e;
        } finally {
            if (hooked) {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs anyway
                }
            }
        }
        return result;
    }

    /** {@code .<name>.staging-}: what every staging sibling of this target is named with, then its owner. */
    private String stagingPrefix() {
        return "." + target.getFileName() + ".staging-";
    }

    /**
     * Removes the staging siblings of this target whose writer is gone (killed mid-write, e.g. by SIGKILL, where
     * neither a finally block nor a shutdown hook runs), saying so on stderr. A sibling names its writer by process
     * id, start time and host: one whose process still runs is never touched, nor one of another host or named
     * otherwise.
     */
    private void removeStaleStagings() {
        String prefix = stagingPrefix();
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(target.getParent(), prefix + "*")) {
            for (Path p : siblings) {
                Matcher m = OWNER_PATTERN.matcher(p.getFileName().toString().substring(prefix.length()));
                if (m.matches() && m.group(3).equals(HOST) && !alive(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)))) {
                    deleteQuietly(p);
                    System.err.println("qwm: removed " + p + ", what process " + m.group(1)
                            + " left of an unfinished write of " + shown + " (that process is gone)");
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // a folder that cannot be listed gets no clean-up; the write itself says what is wrong with it
        }
    }

    /** Whether process {@code pid}, started at {@code startMillis} (0: unknown), still runs. */
    static boolean alive(long pid, long startMillis) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) {
            return false;
        }
        long start = startMillis(h.get());
        // another process under a reused id has another start; unknown starts count as the same process
        return startMillis == 0 || start == 0 || Math.abs(start - startMillis) < 1000;
    }

    private static String host() {
        String h = null;
        try {
            h = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim(); // Linux: this UTS namespace's name
        } catch (IOException | RuntimeException e) {
            // elsewhere: the environment's
        }
        if (h == null || h.isEmpty()) {
            h = Objects.requireNonNullElse(System.getenv("HOSTNAME"), System.getenv().getOrDefault("COMPUTERNAME", "host"));
        }
        return h.replaceAll("[^A-Za-z0-9.-]", "_");
    }

    private static long startMillis(ProcessHandle h) {
        return h.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
    }

    private void commit(Path staged) throws IOException {
        check(); // the target may have changed during a long write
        Path parent = target.getParent();
        try {
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS) || !folder) {
                // rename(2) replaces a file, or an empty folder, atomically; onto a non-empty folder it fails
                Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
            } else if (isEmptyFolder(target)) {
                Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
            } else {
                Path aside = parent.resolve("." + target.getFileName() + ".replaced-" + UUID.randomUUID());
                Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
                try {
                    Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    try {
                        Files.move(aside, target, StandardCopyOption.ATOMIC_MOVE);
                    } catch (IOException back) {
                        e.addSuppressed(back);
                        throw new IOException("cannot move the new " + kind + " into " + target + ", and the old one "
                                + "could not be moved back: it is complete at " + aside, e);
                    }
                    throw e;
                }
                deleteQuietly(aside);
            }
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + staged + " to " + target + " atomically (" + e.getMessage() + ")", e);
        }
        syncFolder(parent);
    }

    private static String article(String noun) {
        return ("aeiou".indexOf(Character.toLowerCase(noun.charAt(0))) >= 0 ? "an " : "a ") + noun;
    }

    /** The real path of {@code p} (symlinks resolved) as far as it exists, the rest appended. */
    static Path real(Path p) {
        Path absolute = p.toAbsolutePath().normalize();
        Path existing = absolute;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return absolute;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(absolute));
        } catch (IOException e) {
            return absolute;
        }
    }

    private static boolean isEmptyFolder(Path dir) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return !entries.iterator().hasNext();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    /** fsync every file under {@code p} and the folders holding them, so the rename publishes durable content. */
    private static void sync(Path p) throws IOException {
        if (Files.isDirectory(p)) {
            try (Stream<Path> all = Files.walk(p)) {
                for (Path f : (Iterable<Path>) all::iterator) {
                    if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                        try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
                            c.force(true);
                        }
                    } else if (Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS)) {
                        syncFolder(f);
                    }
                }
            }
        } else {
            try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
                c.force(true);
            }
        }
    }

    private static void syncFolder(Path dir) {
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        } catch (IOException e) {
            // not every file system can sync a folder; the content itself was synced
        }
    }

    /** Removes {@code p} and everything under it; what cannot be removed stays (a hidden sibling, harmless). */
    public static void deleteQuietly(Path p) {
        if (p == null || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(p)) {
            all.sorted(Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (NoSuchFileException e) {
            // already gone
        } catch (IOException | UncheckedIOException e) {
            // best effort
        }
    }
}
