package dev.qwm.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * A container image read from its tarball, in either layout Jib writes: OCI ({@code oci-layout}, {@code index.json},
 * {@code blobs/sha256/...}) or docker-save ({@code manifest.json}, config and layer files). Gives the image
 * configuration and the files of the image (all layers applied in order, whiteouts honoured), and checks that every
 * blob the manifest names has the digest it is named by.
 */
public final class ImageArchive {

    /** One file of the image's root filesystem. */
    public record FileEntry(String path, Type type, int mode, long uid, String linkTarget) {
        public enum Type { FILE, DIRECTORY, SYMLINK, HARDLINK, OTHER }

        public boolean executable() {
            return (mode & 0111) != 0;
        }
    }

    /** A layer as the manifest lists it. */
    public record Layer(String digest, long size, String mediaType) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path tarball;
    private final String format;
    private final ImageConfig config;
    private final List<Layer> layers;
    private final List<String> blobProblems;
    private final Map<String, FileEntry> files;

    private ImageArchive(Path tarball, String format, ImageConfig config, List<Layer> layers, List<String> blobProblems,
            Map<String, FileEntry> files) {
        this.tarball = tarball;
        this.format = format;
        this.config = config;
        this.layers = layers;
        this.blobProblems = blobProblems;
        this.files = files;
    }

    /** Reads the image in {@code tarball}; an archive that is no image fails with the reason. */
    public static ImageArchive read(Path tarball) throws IOException {
        if (!Files.isRegularFile(tarball)) {
            throw new IOException("no image tarball at " + tarball);
        }
        Map<String, Long> entrySizes = new LinkedHashMap<>();
        Map<String, byte[]> smallEntries = new LinkedHashMap<>();
        forEachEntry(tarball, (entry, in) -> {
            entrySizes.put(normalize(entry.getName()), entry.getSize());
            if (entry.isFile() && entry.getSize() < 4 << 20) {
                smallEntries.put(normalize(entry.getName()), in.readAllBytes());
            }
        });

        String format;
        String configPath;
        List<Layer> layers = new ArrayList<>();
        List<String> layerPaths = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Map<String, String> expectedDigests = new LinkedHashMap<>();
        if (smallEntries.containsKey("index.json")) {
            format = "oci";
            JsonNode index = json(smallEntries, "index.json", tarball);
            JsonNode manifests = index.path("manifests");
            if (manifests.size() != 1) {
                throw new IOException(tarball + ": index.json lists " + manifests.size() + " manifests, expected one");
            }
            String manifestPath = blobPath(manifests.get(0).path("digest").asText());
            expectedDigests.put(manifestPath, manifests.get(0).path("digest").asText());
            JsonNode manifest = json(smallEntries, manifestPath, tarball);
            configPath = blobPath(manifest.path("config").path("digest").asText());
            expectedDigests.put(configPath, manifest.path("config").path("digest").asText());
            for (JsonNode layer : manifest.path("layers")) {
                String digest = layer.path("digest").asText();
                layers.add(new Layer(digest, layer.path("size").asLong(), layer.path("mediaType").asText()));
                layerPaths.add(blobPath(digest));
                expectedDigests.put(blobPath(digest), digest);
            }
        } else if (smallEntries.containsKey("manifest.json")) {
            format = "docker";
            JsonNode manifest = json(smallEntries, "manifest.json", tarball);
            if (manifest.size() != 1) {
                throw new IOException(tarball + ": manifest.json lists " + manifest.size() + " images, expected one");
            }
            configPath = normalize(manifest.get(0).path("Config").asText());
            for (JsonNode layer : manifest.get(0).path("Layers")) {
                String path = normalize(layer.asText());
                layers.add(new Layer("", entrySizes.getOrDefault(path, -1L), ""));
                layerPaths.add(path);
            }
        } else {
            throw new IOException(tarball + " is not an image tarball: it has neither index.json (OCI) nor manifest.json");
        }
        for (String path : layerPaths) {
            if (!entrySizes.containsKey(path)) {
                throw new IOException(tarball + ": the manifest names layer " + path + ", which the tarball lacks");
            }
        }
        ImageConfig config = ImageConfig.parse(json(smallEntries, configPath, tarball));
        if (config.diffIds().size() != layerPaths.size()) {
            problems.add("the config lists " + config.diffIds().size() + " layer diff_ids, the manifest "
                    + layerPaths.size() + " layers");
        }

        // Second pass: blob digests, and the layers' files in order.
        Map<String, Map<String, FileEntry>> layerFiles = new LinkedHashMap<>();
        Map<String, List<String>> layerWhiteouts = new LinkedHashMap<>();
        Map<String, String> diffIds = new LinkedHashMap<>();
        forEachEntry(tarball, (entry, in) -> {
            String name = normalize(entry.getName());
            String expected = expectedDigests.get(name);
            boolean isLayer = layerPaths.contains(name);
            if (expected == null && !isLayer) {
                return;
            }
            MessageDigest blobDigest = sha256();
            DigestInputStream counted = new DigestInputStream(in, blobDigest);
            if (isLayer) {
                MessageDigest diffDigest = sha256();
                Map<String, FileEntry> contents = new LinkedHashMap<>();
                List<String> whiteouts = new ArrayList<>();
                readLayer(counted, diffDigest, contents, whiteouts);
                counted.transferTo(java.io.OutputStream.nullOutputStream());
                layerFiles.put(name, contents);
                layerWhiteouts.put(name, whiteouts);
                diffIds.put(name, "sha256:" + HexFormat.of().formatHex(diffDigest.digest()));
            } else {
                counted.transferTo(java.io.OutputStream.nullOutputStream());
            }
            String actual = "sha256:" + HexFormat.of().formatHex(blobDigest.digest());
            if (expected != null && !expected.equals(actual)) {
                problems.add("blob " + name + " has digest " + actual + ", the manifest says " + expected);
            }
        });
        Map<String, FileEntry> files = new LinkedHashMap<>();
        for (int i = 0; i < layerPaths.size(); i++) {
            String path = layerPaths.get(i);
            if (i < config.diffIds().size() && !config.diffIds().get(i).equals(diffIds.get(path))) {
                problems.add("layer " + path + " has diff_id " + diffIds.get(path) + ", the config says "
                        + config.diffIds().get(i));
            }
            for (String whiteout : layerWhiteouts.get(path)) {
                if (whiteout.endsWith("/")) {
                    files.keySet().removeIf(p -> p.startsWith(whiteout));
                } else {
                    files.keySet().removeIf(p -> p.equals(whiteout) || p.startsWith(whiteout + "/"));
                }
            }
            files.putAll(layerFiles.get(path));
        }
        return new ImageArchive(tarball, format, config, List.copyOf(layers), List.copyOf(problems), files);
    }

    /** "oci" or "docker". */
    public String format() {
        return format;
    }

    public Path tarball() {
        return tarball;
    }

    public ImageConfig config() {
        return config;
    }

    public List<Layer> layers() {
        return layers;
    }

    /** Digest mismatches between the manifest, the config and the blobs; empty for an intact image. */
    public List<String> integrityProblems() {
        return blobProblems;
    }

    /** Every file of the image's root filesystem. */
    public java.util.Collection<FileEntry> files() {
        return java.util.Collections.unmodifiableCollection(files.values());
    }

    /** The file at an absolute path in the image, as the last layer that touched it left it. */
    public Optional<FileEntry> file(String absolutePath) {
        return Optional.ofNullable(files.get(normalize(absolutePath)));
    }

    /**
     * The entry an absolute path finally names, following symbolic links in any component (absolute or relative
     * targets, at most 40 links). Directories a layer does not list but implies by its files are taken as present.
     */
    public Optional<FileEntry> resolve(String absolutePath) {
        java.util.ArrayDeque<String> pending = new java.util.ArrayDeque<>(List.of(absolutePath.split("/")));
        String current = "";
        int links = 0;
        while (!pending.isEmpty()) {
            String part = pending.pollFirst();
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                current = parent(current);
                continue;
            }
            String next = current.isEmpty() ? part : current + "/" + part;
            FileEntry entry = files.get(next);
            if (entry == null) {
                if (pending.stream().allMatch(p -> p.isEmpty() || p.equals("."))) {
                    return Optional.empty();
                }
                current = next;
                continue;
            }
            if (entry.type() == FileEntry.Type.SYMLINK) {
                if (++links > 40) {
                    return Optional.empty();
                }
                List<String> target = List.of(entry.linkTarget().split("/"));
                for (int i = target.size() - 1; i >= 0; i--) {
                    pending.addFirst(target.get(i));
                }
                if (entry.linkTarget().startsWith("/")) {
                    current = "";
                }
                continue;
            }
            current = next;
        }
        return Optional.ofNullable(files.get(current));
    }

    private static void readLayer(InputStream blob, MessageDigest diffDigest, Map<String, FileEntry> contents,
            List<String> whiteouts) throws IOException {
        InputStream buffered = new BufferedInputStream(blob);
        buffered.mark(2);
        int b0 = buffered.read();
        int b1 = buffered.read();
        buffered.reset();
        InputStream layerTar = (b0 == 0x1f && b1 == 0x8b) ? new GzipCompressorInputStream(buffered) : buffered;
        DigestInputStream uncompressed = new DigestInputStream(layerTar, diffDigest);
        TarArchiveInputStream tar = new TarArchiveInputStream(uncompressed);
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
            String path = normalize(e.getName());
            if (path.isEmpty()) {
                continue;
            }
            String name = path.substring(path.lastIndexOf('/') + 1);
            if (name.equals(".wh..wh..opq")) {
                whiteouts.add(parent(path) + "/");
                continue;
            }
            if (name.startsWith(".wh.")) {
                whiteouts.add(parent(path).isEmpty() ? name.substring(4) : parent(path) + "/" + name.substring(4));
                continue;
            }
            FileEntry.Type type = e.isSymbolicLink() ? FileEntry.Type.SYMLINK
                    : e.isLink() ? FileEntry.Type.HARDLINK
                    : e.isDirectory() ? FileEntry.Type.DIRECTORY
                    : e.isFile() ? FileEntry.Type.FILE : FileEntry.Type.OTHER;
            contents.put(path, new FileEntry(path, type, e.getMode() & 07777, e.getLongUserId(),
                    e.isSymbolicLink() || e.isLink() ? e.getLinkName() : null));
        }
        // the rest of the uncompressed stream (tar padding) belongs to the diff_id too
        uncompressed.transferTo(java.io.OutputStream.nullOutputStream());
    }

    private interface EntryConsumer {
        void accept(TarArchiveEntry entry, InputStream in) throws IOException;
    }

    private static void forEachEntry(Path tarball, EntryConsumer consumer) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(tarball)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                if (entry.isFile()) {
                    consumer.accept(entry, tar);
                }
            }
        }
    }

    private static JsonNode json(Map<String, byte[]> entries, String path, Path tarball) throws IOException {
        byte[] bytes = entries.get(path);
        if (bytes == null) {
            throw new IOException(tarball + ": " + path + " is missing");
        }
        return JSON.readTree(bytes);
    }

    private static String blobPath(String digest) throws IOException {
        if (!digest.startsWith("sha256:")) {
            throw new IOException("unsupported digest '" + digest + "' (expected sha256:...)");
        }
        return "blobs/sha256/" + digest.substring(7);
    }

    /** Archive paths without "./" or a leading or trailing "/", with "." and ".." segments resolved. */
    static String normalize(String name) {
        List<String> parts = new ArrayList<>();
        for (String part : name.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.remove(parts.size() - 1);
                }
                continue;
            }
            parts.add(part);
        }
        return String.join("/", parts);
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return tarball + " (" + format + ", " + layers.size() + " layers)";
    }
}
