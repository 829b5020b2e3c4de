package dev.qwm.onnx.runtime;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What stands in the way of writing a file: the free space where it goes and this process's file size limit. ONNX
 * Runtime writes files of its own (its native library into the temp folder when it loads, optimised graphs when asked)
 * and reports a failed write only vaguely ("Protobuf serialization failed", "no onnxruntime in java.library.path"):
 * errors name these two causes and what to do.
 */
public final class WriteRoom {

    private WriteRoom() {
    }

    /** ", where N MiB are free; this process may write files of at most L bytes (ulimit -f): free space ..." */
    public static String explain(Path folder) {
        StringBuilder b = new StringBuilder();
        try {
            FileStore store = Files.getFileStore(folder);
            b.append(", where ").append(store.getUsableSpace() / (1024 * 1024)).append(" MiB are free");
        } catch (IOException | RuntimeException ignored) {
            // the explanation goes without what it cannot read
        }
        fileSizeLimit().ifPresent(l -> b.append("; this process may write files of at most ").append(l)
                .append(" bytes (ulimit -f)"));
        return b.append(": free space there, raise the file size limit (ulimit -f unlimited), or choose another"
                + " temp folder (QWM_JAVA_OPTS=-Djava.io.tmpdir=DIR)").toString();
    }

    /** The soft file size limit of this process (Linux: /proc/self/limits), when there is one. */
    public static Optional<Long> fileSizeLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max file size")) {
                    String soft = line.substring("Max file size".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? Optional.empty() : Optional.of(Long.parseLong(soft));
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux, or not readable: no limit to name
        }
        return Optional.empty();
    }
}
