package dev.qwm.onnx.bundle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.files.StagedWrite;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A world-model bundle (docs/bundle-contract.md): a folder with {@code model.json} ({@link BundleManifest}) and the
 * ONNX components it lists. Reading validates the manifest and verifies every component's size and sha256, so a {@code
 * ModelBundle} in hand is one whose files are the ones the manifest describes.
 *
 * <pre>{@code
 * ModelBundle b = ModelBundle.read(Path.of("models/wall"));
 * Path predictor = b.componentPath(BundleManifest.PREDICTOR);
 *
 * ModelBundle.writer(manifest)
 *     .component(BundleManifest.PREDICTOR, onnxBytes)             // new content
 *     .component(BundleManifest.VISUAL_ENCODER, source.componentPath(BundleManifest.VISUAL_ENCODER)) // copied
 *     ...
 *     .write(targetDir);
 * }</pre>
 */
public final class ModelBundle {

    public static final String MANIFEST_FILE = "model.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    /** Fields model.json may leave out: what made the bundle, and its frame style (written since the field exists). */
    private static final List<String> OPTIONAL_FIELDS = List.of("frameStyle", "provenance");
    /** Fields that must be present in model.json. */
    private static final List<String> REQUIRED_FIELDS = java.util.Arrays.stream(BundleManifest.class.getRecordComponents())
            .map(java.lang.reflect.RecordComponent::getName)
            .filter(n -> !OPTIONAL_FIELDS.contains(n))
            .toList();

    private final Path directory;
    private final BundleManifest manifest;

    private ModelBundle(Path directory, BundleManifest manifest) {
        this.directory = directory;
        this.manifest = manifest;
    }

    /** Reads and validates the bundle in {@code directory}, verifying every component's size and sha256. */
    public static ModelBundle read(Path directory) {
        Path dir = directory.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new BundleException("bundle " + directory + ": not a folder");
        }
        BundleManifest manifest = parseManifest(dir.resolve(MANIFEST_FILE));
        ModelBundle bundle = new ModelBundle(dir, manifest);
        List<String> missing = BundleManifest.REQUIRED_COMPONENTS.stream()
                .filter(c -> !manifest.components().containsKey(c)).toList();
        if (!missing.isEmpty()) {
            throw new BundleException("bundle " + dir + ": " + MANIFEST_FILE + " lists no component " + missing
                    + " (required: " + BundleManifest.REQUIRED_COMPONENTS + ")");
        }
        bundle.verify();
        return bundle;
    }

    /** Parses and validates a {@code model.json} without touching the component files. */
    public static BundleManifest parseManifest(Path manifestFile) {
        JsonNode tree;
        try {
            tree = JSON.readTree(manifestFile.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new BundleException("bundle " + manifestFile.getParent() + ": no " + MANIFEST_FILE + " in it");
        } catch (JsonProcessingException e) {
            throw new BundleException(manifestFile + " is not valid JSON: " + e.getOriginalMessage()
                    + location(e), e);
        } catch (IOException e) {
            throw new BundleException("cannot read " + manifestFile + ": " + e.getMessage(), e);
        }
        return fromTree(tree, manifestFile.toString());
    }

    /** Parses a manifest from JSON text (for manifests carried in messages); {@code origin} names it in errors. */
    public static BundleManifest parseManifest(String json, String origin) {
        try {
            return fromTree(JSON.readTree(json), origin);
        } catch (JsonProcessingException e) {
            throw new BundleException(origin + " is not valid JSON: " + e.getOriginalMessage() + location(e), e);
        }
    }

    private static BundleManifest fromTree(JsonNode tree, String origin) {
        if (tree == null || !tree.isObject()) {
            throw new BundleException(origin + ": expected a JSON object, got "
                    + (tree == null || tree.isMissingNode() ? "an empty file" : tree.getNodeType().toString().toLowerCase()));
        }
        List<String> missing = REQUIRED_FIELDS.stream().filter(f -> !tree.hasNonNull(f)).toList();
        if (!missing.isEmpty()) {
            throw new BundleException(origin + ": missing field" + (missing.size() > 1 ? "s " : " ")
                    + String.join(", ", missing));
        }
        try {
            return JSON.treeToValue(tree, BundleManifest.class);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause();
            String why = cause instanceof BundleException ? cause.getMessage() : e.getOriginalMessage();
            throw new BundleException(origin + ": " + why, e);
        } catch (UnrecognizedPropertyException e) {
            throw new BundleException(origin + ": unknown field '" + pathOf(e) + "' (known: "
                    + String.join(", ", REQUIRED_FIELDS) + ", " + String.join(", ", OPTIONAL_FIELDS) + ")", e);
        } catch (MismatchedInputException e) {
            throw new BundleException(origin + ": field '" + pathOf(e) + "' has the wrong type: "
                    + e.getOriginalMessage(), e);
        } catch (JsonProcessingException e) {
            throw new BundleException(origin + ": " + e.getOriginalMessage(), e);
        }
    }

    public Path directory() {
        return directory;
    }

    public BundleManifest manifest() {
        return manifest;
    }

    /** The file of a listed component, e.g. {@link BundleManifest#PREDICTOR}. */
    public Path componentPath(String component) {
        BundleComponent c = manifest.components().get(component);
        if (c == null) {
            throw new BundleException("bundle " + directory + " has no component '" + component + "' (it has "
                    + manifest.components().keySet() + ")");
        }
        return resolveInside(directory, c.file(), component);
    }

    public byte[] componentBytes(String component) {
        try {
            return Files.readAllBytes(componentPath(component));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read component '" + component + "' of bundle " + directory, e);
        }
    }

    /** Checks again that every component file exists with the size and sha256 of the manifest. */
    public void verify() {
        for (Map.Entry<String, BundleComponent> e : manifest.components().entrySet()) {
            String name = e.getKey();
            BundleComponent c = e.getValue();
            Path file = resolveInside(directory, c.file(), name);
            if (!Files.isRegularFile(file)) {
                throw new BundleException("bundle " + directory + ": component '" + name + "' file " + c.file()
                        + " does not exist");
            }
            long size = size(file);
            if (size != c.bytes()) {
                throw new BundleException("bundle " + directory + ": component '" + name + "' file " + c.file()
                        + " has " + size + " bytes but " + MANIFEST_FILE + " says " + c.bytes()
                        + " (file changed or truncated)");
            }
            String actual = sha256(file);
            if (!actual.equals(c.sha256())) {
                throw new BundleException("bundle " + directory + ": component '" + name + "' file " + c.file()
                        + " has sha256 " + actual + " but " + MANIFEST_FILE + " says " + c.sha256()
                        + " (file changed or corrupted)");
            }
        }
    }

    /** A short reference for result rows: the bundle's name and each component's sha256 prefix. */
    public String reference() {
        return manifest.name() + manifest.components().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue().sha256().substring(0, 12))
                .collect(Collectors.joining(",", "{", "}"));
    }

    @Override
    public String toString() {
        return "ModelBundle[" + directory + ", " + manifest + "]";
    }

    public static String toJson(BundleManifest manifest) {
        try {
            return JSON.writeValueAsString(manifest);
        } catch (JsonProcessingException e) {
            throw new BundleException("cannot serialise manifest " + manifest.name() + ": " + e.getMessage(), e);
        }
    }

    /** The mapper model.json is read and written with (also its typed {@link Provenance} records). */
    static ObjectMapper mapper() {
        return JSON;
    }

    /**
     * SHA-256 of {@code data} in lower-case hex: a component's sha256, and every content key and fingerprint qwm
     * derives from text (a study's, a stored artifact's, a verification's), so that all hash alike.
     */
    public static String sha256(byte[] data) {
        return HexFormat.of().formatHex(digest().digest(data));
    }

    public static String sha256(Path file) {
        MessageDigest md = digest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " to hash it", e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    public static Writer writer(BundleManifest manifest) {
        return new Writer(manifest);
    }

    /**
     * Where a bundle is to be written, as {@code option} names it to the user: a folder that may be replaced only if
     * it holds a bundle (and only with {@link StagedWrite#force}).
     */
    public static StagedWrite target(Path directory, String option) {
        return StagedWrite.folder(directory, option, "bundle", dir -> Files.isRegularFile(dir.resolve(MANIFEST_FILE)));
    }

    /**
     * Writes a bundle: each component from bytes or copied from an existing file, named {@code <component>.onnx},
     * then {@code model.json}, all into a staging folder renamed into place ({@link StagedWrite}), so that the target
     * is either the old bundle or the complete new one, never a mix.
     */
    public static final class Writer {
        private final BundleManifest manifest;
        private final Map<String, Object> sources = new LinkedHashMap<>();
        private final Map<String, byte[]> files = new LinkedHashMap<>();

        private Writer(BundleManifest manifest) {
            this.manifest = Objects.requireNonNull(manifest, "manifest");
        }

        public Writer component(String name, byte[] onnx) {
            sources.put(checkName(name), Objects.requireNonNull(onnx, name));
            return this;
        }

        /** Copies {@code file} (e.g. a component of another bundle, shared unchanged). */
        public Writer component(String name, Path file) {
            sources.put(checkName(name), Objects.requireNonNull(file, name));
            return this;
        }

        /** Another file of the bundle folder (e.g. a quantization manifest), written with the rest. */
        public Writer file(String name, String content) {
            if (name == null || !name.matches("[a-z][a-z0-9_.-]*") || name.equals(MANIFEST_FILE)) {
                throw new BundleException("a bundle's extra file needs a plain lower-case name other than "
                        + MANIFEST_FILE + ", got " + name);
            }
            files.put(name, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return this;
        }

        /** Writes a new bundle into {@code directory}, which must not exist or be empty. */
        public ModelBundle write(Path directory) {
            return write(target(directory, "bundle folder"));
        }

        /** Writes the bundle as {@code target} allows (replacing a bundle there, never its sources). */
        public ModelBundle write(StagedWrite target) {
            Path dir = target.target();
            List<String> missing = new ArrayList<>();
            for (String c : BundleManifest.REQUIRED_COMPONENTS) {
                if (!sources.containsKey(c)) {
                    missing.add(c);
                }
            }
            if (!missing.isEmpty()) {
                throw new BundleException("cannot write bundle " + dir + ": no content for component(s) "
                        + missing);
            }
            try {
                target.write(this::writeInto);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write bundle " + dir + ": " + e.getMessage(), e);
            }
            return read(dir);
        }

        private Void writeInto(Path dir) throws IOException {
            Map<String, BundleComponent> components = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : sources.entrySet()) {
                String file = e.getKey() + ".onnx";
                Path target = dir.resolve(file);
                if (e.getValue() instanceof byte[] bytes) {
                    Files.write(target, bytes);
                    components.put(e.getKey(), new BundleComponent(file, sha256(bytes), bytes.length));
                } else {
                    Path source = ((Path) e.getValue()).toAbsolutePath().normalize();
                    if (!Files.isRegularFile(source)) {
                        throw new BundleException("cannot write bundle: component '" + e.getKey()
                                + "' source " + source + " does not exist");
                    }
                    Files.copy(source, target);
                    components.put(e.getKey(), new BundleComponent(file, sha256(target), Files.size(target)));
                }
            }
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                Files.write(dir.resolve(f.getKey()), f.getValue());
            }
            Files.writeString(dir.resolve(MANIFEST_FILE), toJson(manifest.withComponents(components)));
            return null;
        }

        private static String checkName(String name) {
            if (name == null || !name.matches("[a-z][a-z0-9_]*")) {
                throw new BundleException("component name must be lower_snake_case, got " + name);
            }
            return name;
        }
    }

    private static Path resolveInside(Path dir, String file, String component) {
        Path p = dir.resolve(file).normalize();
        if (!p.startsWith(dir) || p.equals(dir) || escapesBySymlink(dir, p)) {
            throw new BundleException("bundle " + dir + ": component '" + component + "' file " + file
                    + " is not inside the bundle folder");
        }
        return p;
    }

    /** Lexically inside is not enough: a component file may be a symlink to anything readable. */
    private static boolean escapesBySymlink(Path dir, Path file) {
        try {
            return Files.exists(file) && !file.toRealPath().startsWith(dir.toRealPath());
        } catch (IOException e) {
            return false; // unreadable: reading it fails later with its own message
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read size of " + file, e);
        }
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static String pathOf(JsonProcessingException e) {
        if (e instanceof MismatchedInputException m && !m.getPath().isEmpty()) {
            return m.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining(".")).replace(".[", "[");
        }
        return "?";
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? ""
                : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
    }
}
