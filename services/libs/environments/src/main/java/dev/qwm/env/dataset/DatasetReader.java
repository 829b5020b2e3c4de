package dev.qwm.env.dataset;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Opens a dataset directory: its manifest, and each split as a stream of episodes read one at a time.
 *
 * <pre>{@code
 * DatasetReader data = DatasetReader.open(dir);
 * try (EpisodeStream s = data.episodes(Split.TRAIN, true)) {
 *     for (Episode e; (e = s.next()) != null; ) { ... }
 * }
 * }</pre>
 */
public final class DatasetReader {

    private final Path dir;
    private final DatasetManifest manifest;

    private DatasetReader(Path dir, DatasetManifest manifest) {
        this.dir = dir;
        this.manifest = manifest;
    }

    /** Reads and checks the manifest (not yet the split files). */
    public static DatasetReader open(Path dir) throws IOException {
        return new DatasetReader(dir, DatasetManifest.read(dir));
    }

    public DatasetManifest manifest() {
        return manifest;
    }

    public Path directory() {
        return dir;
    }

    public Path file(Split split) {
        return dir.resolve(manifest.split(split).file());
    }

    /** Streams a split; with {@code withFrames} false the frames are checked but not decompressed. */
    public EpisodeStream episodes(Split split, boolean withFrames) throws IOException {
        Path file = file(split);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "the " + split.id() + " split file is missing");
        }
        return new EpisodeStream(file, Files.newInputStream(file), manifest, manifest.split(split).episodes(),
                withFrames);
    }

    /** A whole split in memory; fine without frames or for small datasets. */
    public List<Episode> readAll(Split split, boolean withFrames) throws IOException {
        List<Episode> out = new ArrayList<>(Math.min(manifest.split(split).episodes(), 1024)); // a count, not trusted for memory
        try (EpisodeStream s = episodes(split, withFrames)) {
            for (Episode e; (e = s.next()) != null; ) {
                out.add(e);
            }
        }
        return out;
    }

    /** Recomputes each split file's size and SHA-256 against the manifest. */
    public void verifyChecksums() throws IOException {
        for (Split split : Split.values()) {
            DatasetManifest.SplitFile entry = manifest.split(split);
            Path file = file(split);
            long size = Files.size(file);
            if (size != entry.bytes()) {
                throw new DatasetFormatException(file, "size is " + size + " bytes, the manifest says " + entry.bytes()
                        + (size < entry.bytes() ? " (truncated)" : ""));
            }
            MessageDigest sha;
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, n);
                }
            }
            String hex = HexFormat.of().formatHex(sha.digest());
            if (!hex.equals(entry.sha256())) {
                throw new DatasetFormatException(file, "SHA-256 " + hex + " does not match the manifest's "
                        + entry.sha256() + " (file changed or damaged)");
            }
        }
    }
}
