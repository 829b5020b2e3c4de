package dev.qwm.images;

import dev.qwm.images.ImageArchive.FileEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a qwm service image must satisfy to run under the chart's hardened pod spec: an intact linux/amd64 image
 * whose entrypoint program and jar exist in it, that exposes the service's port, and runs as the chart's numeric
 * non-root user (the kubelet can verify runAsNonRoot only for a numeric user), without setuid/setgid programs.
 */
public final class ImageChecks {

    private ImageChecks() {
    }

    /** The problems of {@code image}; empty when it is fit. */
    public static List<String> problems(ImageArchive image, int port, long uid) {
        List<String> problems = new ArrayList<>(image.integrityProblems());
        ImageConfig c = image.config();
        if (!"linux".equals(c.os()) || !"amd64".equals(c.architecture())) {
            problems.add("platform is " + c.os() + "/" + c.architecture() + ", expected linux/amd64");
        }
        long actualUid = c.numericUid();
        if (actualUid < 0) {
            problems.add("user '" + c.user() + "' is not numeric: Kubernetes cannot verify runAsNonRoot");
        } else if (actualUid == 0) {
            problems.add("runs as root (user '" + c.user() + "')");
        } else if (actualUid != uid) {
            problems.add("runs as uid " + actualUid + ", the chart's runAsUser is " + uid);
        }
        Set<String> expectedPorts = Set.of(port + "/tcp");
        if (!c.exposedPorts().equals(expectedPorts)) {
            problems.add("exposes " + c.exposedPorts() + ", expected " + expectedPorts);
        }
        if (c.workingDir().isEmpty()
                || image.resolve(c.workingDir()).map(f -> f.type() != FileEntry.Type.DIRECTORY).orElse(true)) {
            problems.add("working directory '" + c.workingDir() + "' is not a directory of the image");
        }
        List<String> command = new ArrayList<>(c.entrypoint());
        command.addAll(c.cmd());
        if (command.isEmpty()) {
            problems.add("no entrypoint");
        } else {
            Optional<FileEntry> program = program(image, command.get(0));
            if (program.isEmpty()) {
                problems.add("entrypoint program '" + command.get(0) + "' is not in the image (PATH="
                        + c.env().getOrDefault("PATH", "") + ")");
            } else if (!program.get().executable()) {
                problems.add("entrypoint program " + program.get().path() + " is not executable");
            }
            int jar = command.indexOf("-jar");
            if (jar >= 0) {
                if (jar + 1 >= command.size()) {
                    problems.add("entrypoint ends with -jar and no jar");
                } else {
                    String path = command.get(jar + 1);
                    String absolute = path.startsWith("/") ? path : c.workingDir() + "/" + path;
                    if (image.resolve(absolute).map(f -> f.type() != FileEntry.Type.FILE).orElse(true)) {
                        problems.add("entrypoint jar " + absolute + " is not a file of the image");
                    }
                }
            }
        }
        for (FileEntry f : image.files()) {
            if (f.type() == FileEntry.Type.FILE && (f.mode() & 06000) != 0) {
                problems.add("setuid/setgid file /" + f.path() + " (mode " + Integer.toOctalString(f.mode()) + ")");
            }
        }
        return problems;
    }

    /** Where the kernel would find the program: the path itself if it has a slash, else the first match on PATH. */
    static Optional<FileEntry> program(ImageArchive image, String name) {
        if (name.contains("/")) {
            return image.resolve(name);
        }
        String path = image.config().env().getOrDefault("PATH", "");
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Optional<FileEntry> found = image.resolve(dir + "/" + name);
            if (found.isPresent() && found.get().type() != FileEntry.Type.DIRECTORY) {
                return found;
            }
        }
        return Optional.empty();
    }
}
