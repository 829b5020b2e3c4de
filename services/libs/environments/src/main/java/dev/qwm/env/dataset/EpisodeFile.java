package dev.qwm.env.dataset;

import java.nio.charset.StandardCharsets;

/**
 * Layout constants of a split file ({@code train.qwmd}, {@code validation.qwmd}); README.md describes the format.
 * All numbers are big-endian.
 */
final class EpisodeFile {

    /** 8-byte file signature; the digit is the format version. */
    static final byte[] MAGIC = "QWMDSET1".getBytes(StandardCharsets.US_ASCII);
    /** "EPIS": start of each episode record. */
    static final int EPISODE_MARKER = 0x45504953;
    /** "END!": after the last episode, followed by the episode count again. */
    static final int END_MARKER = 0x454E4421;
    /** Guards against absurd sizes in a damaged header before anything is allocated. */
    static final int MAX_STEPS = 1_000_000;
    static final int MAX_IMAGE_SIZE = 4096;
    static final int MAX_DIM = 1024;

    private EpisodeFile() {
    }
}
