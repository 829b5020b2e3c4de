package dev.qwm.quantizer.store;

import dev.qwm.onnx.bundle.BundleComponent;
import dev.qwm.onnx.bundle.BundleException;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.quantizer.config.QuantizerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The artifact store: a folder holding one folder per quantized bundle, named by its content key
 * ({@code <source name>-<recipe name>-<hash>}, the hash over the source components' sha256 and the canonical recipe).
 * A bundle is written into {@code .partial/} and renamed into place in one atomic step, so a folder under the root
 * is always a complete bundle; a crash leaves at most a partial folder, removed at a later start.
 */
@ApplicationScoped
public class ArtifactStore {

    private static final Logger LOG = Logger.getLogger(ArtifactStore.class);

    /** Version of the key derivation; bump when what goes into a bundle changes for the same inputs. */
    static final String KEY_FORMAT = "qwm-quantizer-store/1";
    static final String PARTIAL_DIR = ".partial";
    /**
     * Written into a bundle folder once its ArtifactCreated events were acknowledged by the broker; it names that
     * broker's cluster, since a store outlives its broker (a fresh stack over a kept store must announce again).
     */
    static final String PUBLISHED_MARKER = ".artifact-events-published";
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,199}");

    private final Path root;

    @Inject
    public ArtifactStore(QuantizerConfig config) {
        this(Path.of(config.artifactsRoot()), config.jobs().partialMaxAge());
    }

    public ArtifactStore(Path root, Duration partialMaxAge) {
        this.root = root.toAbsolutePath().normalize();
        removeStalePartials(partialMaxAge);
    }

    public Path root() {
        return root;
    }

    /**
     * The content key of quantizing {@code source} by a recipe: a folder name from the bundle and recipe names and
     * 16 hex digits of SHA-256 over the source components' sha256, the canonical recipe JSON and {@code settings}
     * (whatever else changes the output: emit options, calibration budget).
     */
    public static String key(ModelBundle source, String recipeName, String canonicalRecipeJson, String settings) {
        StringBuilder text = new StringBuilder(KEY_FORMAT).append('\n');
        Map<String, BundleComponent> components = new TreeMap<>(source.manifest().components());
        components.forEach((name, c) -> text.append("component ").append(name).append(' ').append(c.sha256()).append('\n'));
        text.append("recipe ").append(canonicalRecipeJson).append('\n');
        text.append("settings ").append(settings).append('\n');
        String hash = ModelBundle.sha256(text.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 16);
        return slug(source.manifest().name()) + "-" + slug(recipeName) + "-" + hash;
    }

    /** Whether {@code id} can name a folder of this store (and nothing outside it). */
    public static boolean validId(String id) {
        return id != null && ID.matcher(id).matches() && !id.contains("..");
    }

    /** The folder of bundle {@code id} (which may not exist). */
    public Path folder(String id) {
        if (!validId(id)) {
            throw new IllegalArgumentException("'" + id + "' is not a bundle id of the artifact store");
        }
        return root.resolve(id);
    }

    /**
     * The stored bundle {@code id}, verified (every component's size and sha256), or empty if there is none.
     *
     * @throws IllegalStateException if the folder exists but does not hold a valid bundle (changed by hand)
     */
    public Optional<ModelBundle> find(String id) {
        Path dir = folder(id);
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try {
            return Optional.of(ModelBundle.read(dir));
        } catch (BundleException | UncheckedIOException e) {
            throw new IllegalStateException("the artifact store holds " + dir + " but it is not a valid bundle ("
                    + e.getMessage() + "); remove that folder to quantize again", e);
        }
    }

    /** A fresh folder path under {@code .partial/} for bundle {@code id} to be written into (not yet created). */
    public Path newPartial(String id) {
        Path dir = root.resolve(PARTIAL_DIR).resolve(folder(id).getFileName() + "." + UUID.randomUUID());
        try {
            Files.createDirectories(dir.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir.getParent() + " in the artifact store", e);
        }
        return dir;
    }

    /**
     * Moves a completely written bundle from {@code partial} to its place in one rename. If another writer (a replica
     * sharing the store) got there first, that bundle wins and {@code partial} is removed: both are the same content.
     */
    public ModelBundle commit(Path partial, String id) {
        Path target = folder(id);
        try {
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            discard(partial);
            throw new IllegalStateException("the artifact store " + root + " cannot rename folders atomically; "
                    + PARTIAL_DIR + " must be on the same file system as the store", e);
        } catch (IOException e) {
            discard(partial);
            // rename(2) onto a non-empty folder fails (EEXIST or ENOTEMPTY): another writer completed it meanwhile
            if (!Files.exists(target.resolve(ModelBundle.MANIFEST_FILE))) {
                throw new UncheckedIOException("cannot move the new bundle into " + target, e);
            }
            LOG.infof("bundle %s was completed by another writer meanwhile; keeping that one", id);
        }
        return find(id).orElseThrow(() -> new IllegalStateException("bundle " + target + " vanished right after it was written"));
    }

    /** Removes a partial folder (best effort: a leftover is removed at a later start). */
    public void discard(Path partial) {
        if (partial == null || !Files.exists(partial)) {
            return;
        }
        try (Stream<Path> files = Files.walk(partial)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.warnf("cannot remove %s: %s", p, e.getMessage());
                }
            });
        } catch (IOException e) {
            LOG.warnf("cannot remove %s: %s", partial, e.getMessage());
        }
    }

    /** Whether the ArtifactCreated events of the bundle in {@code dir} were published to the cluster {@code clusterId}. */
    public boolean published(Path dir, String clusterId) {
        Path marker = dir.resolve(PUBLISHED_MARKER);
        try {
            return Files.exists(marker) && Files.readAllLines(marker).stream().findFirst()
                    .map(line -> line.equals("cluster " + clusterId)).orElse(false);
        } catch (IOException e) {
            return false;
        }
    }

    public void markPublished(Path dir, String clusterId) {
        try {
            Files.writeString(dir.resolve(PUBLISHED_MARKER), "cluster " + clusterId + "\n" + Instant.now() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(PUBLISHED_MARKER), e);
        }
    }

    /** Why the store cannot take new bundles, or empty when it can. */
    public Optional<String> problem() {
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            return Optional.of("cannot create " + root + ": " + e.getMessage());
        }
        if (!Files.isWritable(root)) {
            return Optional.of(root + " is not writable");
        }
        return Optional.empty();
    }

    /** Partial folders older than {@code maxAge} are left by crashed jobs (younger ones may be another replica's). */
    private void removeStalePartials(Duration maxAge) {
        Path partials = root.resolve(PARTIAL_DIR);
        if (!Files.isDirectory(partials)) {
            return;
        }
        Instant cutoff = Instant.now().minus(maxAge);
        try (Stream<Path> dirs = Files.list(partials)) {
            dirs.filter(p -> {
                try {
                    return Files.getLastModifiedTime(p).toInstant().isBefore(cutoff);
                } catch (IOException e) {
                    return false;
                }
            }).forEach(p -> {
                LOG.infof("removing %s, left by a job that did not finish", p);
                discard(p);
            });
        } catch (IOException e) {
            LOG.warnf("cannot list %s: %s", partials, e.getMessage());
        }
    }

    /** Lower-case letters, digits, '.', '_' and '-' only, at most 60 characters. */
    static String slug(String name) {
        String s = name == null ? "" : name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-")
                .replaceAll("-{2,}", "-").replaceAll("\\.{2,}", ".").replaceAll("^[^a-z0-9]+|[^a-z0-9]+$", "");
        if (s.length() > 60) {
            s = s.substring(0, 60).replaceAll("[^a-z0-9]+$", "");
        }
        return s.isEmpty() ? "bundle" : s;
    }
}
