package dev.qwm.onnx.bundle;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The folders a service may load bundles from (its artifact store, the shipped models): a bundle path in a request is
 * resolved with every symlink followed and must lie inside one of them. A path that does not exist and a path that is
 * not allowed get the same answer, so a request cannot probe the file system.
 */
public final class BundleRoots {

    public static final String REFUSAL = "not found or not allowed";
    /** The local stack's folders, relative to the service's working directory (the repository). */
    public static final String DEFAULT = "models,.qwm/artifacts";

    private final List<Path> roots;

    private BundleRoots(List<Path> roots) {
        this.roots = List.copyOf(roots);
    }

    /**
     * The roots of a comma-separated list of folders (relative ones against the working directory); {@code *} alone
     * allows every folder (a test, or a deployment that confines the service otherwise).
     */
    public static BundleRoots parse(String folders) {
        if (folders == null || folders.isBlank()) {
            throw new IllegalArgumentException("no bundle roots configured (qwm.bundle-roots): name the artifact store");
        }
        if (folders.trim().equals("*")) {
            return new BundleRoots(List.of());
        }
        List<Path> out = new ArrayList<>();
        for (String f : folders.split(",")) {
            if (!f.isBlank()) {
                Path p = Path.of(f.trim()).toAbsolutePath().normalize();
                try {
                    p = p.toRealPath();
                } catch (IOException e) {
                    // a store not created yet: nothing can be inside it until it is
                }
                out.add(p);
            }
        }
        return new BundleRoots(out);
    }

    /**
     * The roots a service is configured with: system property {@code qwm.bundle-roots}, else environment variable
     * {@code QWM_BUNDLE_ROOTS} (the chart sets it to the artifact store), else {@link #DEFAULT}.
     */
    public static BundleRoots configured() {
        String v = System.getProperty("qwm.bundle-roots");
        if (v == null || v.isBlank()) {
            v = System.getenv("QWM_BUNDLE_ROOTS");
        }
        return parse(v == null || v.isBlank() ? DEFAULT : v);
    }

    public List<Path> roots() {
        return roots;
    }

    /**
     * The real folder of bundle {@code requested}, inside one of the roots.
     *
     * @param what how the bundle is named in the refusal, e.g. {@code "encoder bundle"}
     * @throws IllegalArgumentException {@code "<what> <requested>: not found or not allowed"}
     */
    public Path resolve(String requested, String what) {
        Path real;
        try {
            real = Path.of(requested).toAbsolutePath().normalize().toRealPath();
        } catch (IOException | InvalidPathException | NullPointerException e) {
            throw refused(requested, what);
        }
        if (!roots.isEmpty() && roots.stream().noneMatch(real::startsWith)) {
            throw refused(requested, what);
        }
        return real;
    }

    private static IllegalArgumentException refused(String requested, String what) {
        return new IllegalArgumentException(what + " " + requested + ": " + REFUSAL);
    }

    @Override
    public String toString() {
        return roots.isEmpty() ? "*" : roots.toString();
    }
}
