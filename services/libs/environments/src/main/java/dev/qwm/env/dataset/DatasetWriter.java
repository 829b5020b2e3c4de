package dev.qwm.env.dataset;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Writes the two split files of a dataset, one episode at a time (nothing but the current episode is held in
 * memory). The episode counts are fixed up front and written in each header so that a reader knows what to
 * expect; {@link #finish()} checks them, writes the end markers and returns each file's size and SHA-256.
 */
public final class DatasetWriter implements Closeable {

    private final String environment;
    private final int imageSize;
    private final int stateDim;
    private final int proprioDim;
    private final int actionDim;
    private final int compressionLevel;
    private final EnumMap<Split, Part> parts = new EnumMap<>(Split.class);
    private final Deflater deflater;
    private boolean finished;

    private static final class Part {
        final Path file;
        final MessageDigest sha;
        final CountingStream counter;
        final DataOutputStream out;
        final int expected;
        int written;
        long steps;

        Part(Path file, MessageDigest sha, CountingStream counter, DataOutputStream out, int expected) {
            this.file = file;
            this.sha = sha;
            this.counter = counter;
            this.out = out;
            this.expected = expected;
        }
    }

    /**
     * @param compressionLevel Deflate level for the frames, 1 (fast) to 9 (small)
     */
    public DatasetWriter(Path dir, String environment, int imageSize, int stateDim, int proprioDim, int actionDim,
                         int trainEpisodes, int validationEpisodes, int compressionLevel) throws IOException {
        if (compressionLevel < 1 || compressionLevel > 9) {
            throw new IllegalArgumentException("compression level must be 1..9, got " + compressionLevel);
        }
        this.environment = environment;
        this.imageSize = imageSize;
        this.stateDim = stateDim;
        this.proprioDim = proprioDim;
        this.actionDim = actionDim;
        this.compressionLevel = compressionLevel;
        this.deflater = new Deflater(compressionLevel);
        Files.createDirectories(dir);
        open(dir, Split.TRAIN, trainEpisodes);
        open(dir, Split.VALIDATION, validationEpisodes);
    }

    private void open(Path dir, Split split, int episodes) throws IOException {
        Path file = dir.resolve(split.fileName());
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        CountingStream counter = new CountingStream(Files.newOutputStream(file));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new DigestOutputStream(counter, sha), 1 << 16));
        out.write(EpisodeFile.MAGIC);
        out.writeUTF(environment);
        out.writeInt(imageSize);
        out.writeInt(stateDim);
        out.writeInt(proprioDim);
        out.writeInt(actionDim);
        out.writeInt(episodes);
        parts.put(split, new Part(file, sha, counter, out, episodes));
    }

    public int compressionLevel() {
        return compressionLevel;
    }

    /** Appends one episode (with frames) to {@code split}'s file. */
    public void write(Split split, Episode e) throws IOException {
        if (finished) {
            throw new IllegalStateException("dataset already finished");
        }
        Part part = parts.get(split);
        if (part.written == part.expected) {
            throw new IllegalStateException(split.id() + " split already holds its " + part.expected + " episodes");
        }
        if (!e.hasFrames() || e.imageSize() != imageSize || e.stateDim() != stateDim || e.proprioDim() != proprioDim
                || e.actionDim() != actionDim) {
            throw new IllegalArgumentException("episode " + e.index() + " does not match the dataset's dimensions");
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream(1 << 16);
        DataOutputStream rec = new DataOutputStream(buf);
        rec.writeInt(EpisodeFile.EPISODE_MARKER);
        rec.writeInt(e.index());
        rec.writeUTF(e.policy());
        rec.writeInt(e.steps());
        writeFloats(rec, e.states());
        writeFloats(rec, e.proprio());
        writeFloats(rec, e.actions());
        byte[] packed = deflate(e.frames());
        rec.writeInt(packed.length);
        rec.write(packed);
        rec.flush();
        byte[] record = buf.toByteArray();
        CRC32 crc = new CRC32();
        crc.update(record);
        part.out.write(record);
        part.out.writeInt((int) crc.getValue());
        part.written++;
        part.steps += e.steps();
    }

    private byte[] deflate(byte[] raw) {
        deflater.reset();
        deflater.setInput(raw);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(1024, raw.length / 8));
        byte[] chunk = new byte[1 << 16];
        while (!deflater.finished()) {
            int n = deflater.deflate(chunk);
            out.write(chunk, 0, n);
        }
        return out.toByteArray();
    }

    private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(values.length * 4); // big-endian
        bb.asFloatBuffer().put(values);
        out.write(bb.array());
    }

    /** Closes both files after checking the counts; returns "train" and "validation" file entries. */
    public Map<String, DatasetManifest.SplitFile> finish() throws IOException {
        if (finished) {
            throw new IllegalStateException("dataset already finished");
        }
        Map<String, DatasetManifest.SplitFile> out = new LinkedHashMap<>();
        for (Split split : Split.values()) {
            Part part = parts.get(split);
            if (part.written != part.expected) {
                throw new IllegalStateException(split.id() + " split got " + part.written + " episodes, announced "
                        + part.expected);
            }
            part.out.writeInt(EpisodeFile.END_MARKER);
            part.out.writeInt(part.written);
            part.out.close();
            out.put(split.id(), new DatasetManifest.SplitFile(part.file.getFileName().toString(), part.written,
                    part.steps, part.counter.count, HexFormat.of().formatHex(part.sha.digest())));
        }
        finished = true;
        deflater.end();
        return out;
    }

    /** Closes the files; without {@link #finish()} they are left incomplete (readers will say so). */
    @Override
    public void close() throws IOException {
        if (!finished) {
            finished = true;
            deflater.end();
            for (Part p : parts.values()) {
                p.out.close();
            }
        }
    }

    private static final class CountingStream extends java.io.FilterOutputStream {
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
