package dev.qwm.env.dataset;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Episodes of one split file, read one at a time. Every record's CRC-32 is checked; a foreign file, a header
 * that disagrees with the manifest, a truncated file or a damaged record raises a
 * {@link DatasetFormatException} naming the file and the episode.
 */
public final class EpisodeStream implements Closeable {

    private final Path file;
    private final CheckedInputStream checked;
    private final DataInputStream in;
    private final boolean withFrames;
    private final int imageSize;
    private final int stateDim;
    private final int proprioDim;
    private final int actionDim;
    private final int episodes;
    private final Inflater inflater = new Inflater();
    /** Deflate cannot compress better than about 1032:1, so a frame block claiming more is damaged. */
    private static final long MAX_DEFLATE_RATIO = 1032;
    private final long fileBytes;
    private int read;
    private boolean ended;

    EpisodeStream(Path file, InputStream raw, DatasetManifest manifest, int expectedEpisodes, boolean withFrames)
            throws IOException {
        this.file = file;
        this.fileBytes = fileSize(file);
        this.checked = new CheckedInputStream(new BufferedInputStream(raw, 1 << 16), new CRC32());
        this.in = new DataInputStream(checked);
        this.withFrames = withFrames;
        try {
            byte[] magic = new byte[EpisodeFile.MAGIC.length];
            int n = in.readNBytes(magic, 0, magic.length);
            if (n < magic.length || !Arrays.equals(magic, EpisodeFile.MAGIC)) {
                throw new DatasetFormatException(file, n == 0 ? "empty file, not a qwm dataset split"
                        : "not a qwm dataset split file (no QWMDSET1 signature at the start)");
            }
            String env = in.readUTF();
            imageSize = in.readInt();
            stateDim = in.readInt();
            proprioDim = in.readInt();
            actionDim = in.readInt();
            episodes = in.readInt();
            // the manifest's dimensions are in range (DatasetManifest.read), so a header that matches them is too
            if (!env.equals(manifest.environment()) || imageSize != manifest.imageSize()
                    || stateDim != manifest.stateDim() || proprioDim != manifest.proprioDim()
                    || actionDim != manifest.actionDim() || episodes != expectedEpisodes) {
                throw new DatasetFormatException(file, "header (" + env + ", image " + imageSize + ", dims " + stateDim
                        + "/" + proprioDim + "/" + actionDim + ", " + episodes + " episodes) does not match dataset.json ("
                        + manifest.environment() + ", image " + manifest.imageSize() + ", dims " + manifest.stateDim()
                        + "/" + manifest.proprioDim() + "/" + manifest.actionDim() + ", " + expectedEpisodes
                        + " episodes): file from another dataset?");
            }
        } catch (EOFException e) {
            close();
            throw new DatasetFormatException(file, "truncated inside the file header", e);
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    public int episodeCount() {
        return episodes;
    }

    /** The next episode, or null after the last one. */
    public Episode next() throws IOException {
        if (ended) {
            return null;
        }
        int episodeNo = read; // position in this file, for messages
        try {
            checked.getChecksum().reset();
            int marker = in.readInt();
            if (marker == EpisodeFile.END_MARKER) {
                int count = in.readInt();
                if (read != episodes || count != episodes) {
                    throw new DatasetFormatException(file, "ends after " + read + " episodes, header announced "
                            + episodes);
                }
                ended = true;
                return null;
            }
            if (marker != EpisodeFile.EPISODE_MARKER) {
                throw new DatasetFormatException(file, "bad record marker 0x" + Integer.toHexString(marker)
                        + " at episode " + episodeNo + " (damaged file)");
            }
            if (read == episodes) {
                throw new DatasetFormatException(file, "holds more episodes than the " + episodes + " announced");
            }
            int index = in.readInt();
            String policy = in.readUTF();
            int steps = in.readInt();
            if (steps < 1 || steps > EpisodeFile.MAX_STEPS) {
                throw new DatasetFormatException(file, "episode " + episodeNo + " claims " + steps + " steps (damaged)");
            }
            // sizes in long and against the file's length before anything is allocated: a damaged or hostile record
            // must give this error, not a negative array size or an OutOfMemoryError
            long vectorBytes = 4L * ((steps + 1L) * stateDim + (steps + 1L) * proprioDim + (long) steps * actionDim);
            if (vectorBytes > fileBytes) {
                throw new DatasetFormatException(file, "episode " + episodeNo + " claims " + steps + " steps ("
                        + vectorBytes + " bytes of states, proprio and actions), more than the whole file's " + fileBytes
                        + " bytes (damaged)");
            }
            float[] states = readFloats((steps + 1) * stateDim);
            float[] proprio = readFloats((steps + 1) * proprioDim);
            float[] actions = readFloats(steps * actionDim);
            int packed = in.readInt();
            long rawSize = (long) (steps + 1) * imageSize * imageSize * 3;
            if (packed < 0 || packed > fileBytes || rawSize > Integer.MAX_VALUE - 8
                    || rawSize > (long) packed * MAX_DEFLATE_RATIO + 1024) {
                throw new DatasetFormatException(file, "episode " + episodeNo + " has an invalid frame block size ("
                        + packed + " compressed bytes for " + rawSize + " bytes of frames; damaged)");
            }
            byte[] compressed = in.readNBytes(packed);
            if (compressed.length < packed) {
                throw new EOFException();
            }
            long expectedCrc = checked.getChecksum().getValue();
            int storedCrc = in.readInt();
            if ((int) expectedCrc != storedCrc) {
                throw new DatasetFormatException(file, "checksum mismatch in episode " + episodeNo + " (damaged file)");
            }
            byte[] frames = withFrames ? inflate(compressed, (int) rawSize, episodeNo) : null;
            read++;
            return new Episode(index, policy, steps, stateDim, proprioDim, actionDim, states, proprio, actions, frames,
                    imageSize);
        } catch (EOFException e) {
            throw new DatasetFormatException(file, "truncated: the file ends inside episode " + episodeNo + " of "
                    + episodes, e);
        }
    }

    private static long fileSize(Path file) {
        try {
            return java.nio.file.Files.size(file);
        } catch (IOException e) {
            return Long.MAX_VALUE; // not a file (a stream in a test): the other checks still hold
        }
    }

    private float[] readFloats(int n) throws IOException {
        byte[] bytes = new byte[n * 4];
        in.readFully(bytes);
        float[] out = new float[n];
        ByteBuffer.wrap(bytes).asFloatBuffer().get(out);
        return out;
    }

    private byte[] inflate(byte[] compressed, int rawSize, int episodeNo) throws DatasetFormatException {
        inflater.reset();
        inflater.setInput(compressed);
        byte[] out = new byte[rawSize];
        try {
            int n = 0;
            while (n < rawSize && !inflater.finished()) {
                int k = inflater.inflate(out, n, rawSize - n);
                if (k == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += k;
            }
            if (n != rawSize || !inflater.finished()) {
                throw new DatasetFormatException(file, "frames of episode " + episodeNo + " do not inflate to "
                        + rawSize + " bytes");
            }
        } catch (DataFormatException e) {
            throw new DatasetFormatException(file, "frames of episode " + episodeNo + " are not valid Deflate data", e);
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        inflater.end();
        in.close();
    }
}
