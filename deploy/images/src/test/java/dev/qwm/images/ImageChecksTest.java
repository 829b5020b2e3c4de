package dev.qwm.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image reader and checks on small images written here in both layouts Jib produces. */
class ImageChecksTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A layer: its tar entries. */
    record Entry(String path, char type, int mode, String content) {
        static Entry dir(String path) {
            return new Entry(path, 'd', 0755, null);
        }

        static Entry file(String path, int mode, String content) {
            return new Entry(path, 'f', mode, content);
        }

        static Entry link(String path, String target) {
            return new Entry(path, 'l', 0777, target);
        }
    }

    /** A Debian-like JRE base (java reached through the alternatives symlinks) and a Quarkus app layer. */
    private static List<List<Entry>> serviceLayers() {
        List<Entry> base = List.of(
                Entry.dir("usr/"), Entry.dir("usr/bin/"), Entry.dir("etc/"), Entry.dir("etc/alternatives/"),
                Entry.dir("usr/lib/"), Entry.dir("usr/lib/jvm/"), Entry.dir("usr/lib/jvm/java-17-openjdk-amd64/"),
                Entry.dir("usr/lib/jvm/java-17-openjdk-amd64/bin/"),
                Entry.file("usr/lib/jvm/java-17-openjdk-amd64/bin/java", 0755, "ELF"),
                Entry.link("etc/alternatives/java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"),
                Entry.link("usr/bin/java", "../../etc/alternatives/java"),
                Entry.dir("tmp/"));
        List<Entry> app = List.of(
                Entry.dir("deployments/"), Entry.dir("deployments/lib/"),
                Entry.file("deployments/quarkus-run.jar", 0644, "PK"),
                Entry.file("deployments/lib/app.jar", 0644, "PK"));
        return List.of(base, app);
    }

    private static ObjectNode serviceConfig() {
        ObjectNode config = JSON.createObjectNode();
        config.put("architecture", "amd64").put("os", "linux");
        ObjectNode c = config.putObject("config");
        c.put("User", "10001:10001").put("WorkingDir", "/deployments");
        c.putArray("Env").add("PATH=/usr/local/bin:/usr/bin:/bin").add("LANG=C.UTF-8");
        c.putArray("Entrypoint").add("java").add("-jar").add("/deployments/quarkus-run.jar");
        c.putObject("ExposedPorts").putObject("8082/tcp");
        return config;
    }

    @Test
    void intactServiceImagePassesInBothLayouts() throws IOException {
        for (boolean oci : new boolean[] {true, false}) {
            ImageArchive image = ImageArchive.read(write("svc-" + oci + ".tar", oci, serviceLayers(), serviceConfig(), null));
            assertEquals(oci ? "oci" : "docker", image.format());
            assertEquals(List.of(), ImageChecks.problems(image, 8082, 10001), image.toString());
            assertEquals(List.of("java", "-jar", "/deployments/quarkus-run.jar"), image.config().entrypoint());
            assertEquals("usr/lib/jvm/java-17-openjdk-amd64/bin/java", image.resolve("/usr/bin/java").orElseThrow().path());
        }
    }

    @Test
    void rootUserNamedUserAndOtherUidAreRefused() throws IOException {
        assertProblem(c -> cfg(c).put("User", "0"), "runs as root");
        assertProblem(c -> cfg(c).put("User", ""), "is not numeric");
        assertProblem(c -> cfg(c).put("User", "qwm"), "is not numeric");
        assertProblem(c -> cfg(c).put("User", "185"), "runs as uid 185, the chart's runAsUser is 10001");
    }

    @Test
    void wrongOrMissingPortIsRefused() throws IOException {
        assertProblem(c -> cfg(c).putObject("ExposedPorts").putObject("8080/tcp"), "exposes [8080/tcp], expected [8082/tcp]");
        assertProblem(c -> cfg(c).remove("ExposedPorts"), "exposes [], expected [8082/tcp]");
    }

    @Test
    void entrypointMustNameProgramAndJarOfTheImage() throws IOException {
        assertProblem(c -> cfg(c).putArray("Env").add("PATH=/opt/bin"), "entrypoint program 'java' is not in the image");
        assertProblem(c -> ((ArrayNode) cfg(c).get("Entrypoint")).set(2, "/deployments/app.jar"),
                "entrypoint jar /deployments/app.jar is not a file of the image");
        assertProblem(c -> cfg(c).remove("Entrypoint"), "no entrypoint");
        assertProblem(c -> cfg(c).put("WorkingDir", "/srv"), "working directory '/srv' is not a directory");
    }

    @Test
    void whiteoutInALaterLayerRemovesTheJar() throws IOException {
        List<List<Entry>> layers = new ArrayList<>(serviceLayers());
        layers.add(List.of(Entry.file("deployments/.wh.quarkus-run.jar", 0644, "")));
        List<String> problems = ImageChecks.problems(
                ImageArchive.read(write("whiteout.tar", true, layers, serviceConfig(), null)), 8082, 10001);
        assertEquals(List.of("entrypoint jar /deployments/quarkus-run.jar is not a file of the image"), problems);
    }

    @Test
    void setuidProgramsAreRefused() throws IOException {
        List<List<Entry>> layers = new ArrayList<>(serviceLayers());
        layers.add(List.of(Entry.file("usr/bin/su", 04755, "ELF")));
        List<String> problems = ImageChecks.problems(
                ImageArchive.read(write("setuid.tar", true, layers, serviceConfig(), null)), 8082, 10001);
        assertEquals(List.of("setuid/setgid file /usr/bin/su (mode 4755)"), problems);
    }

    @Test
    void blobWhoseContentDoesNotMatchItsDigestIsReported() throws IOException {
        Path tar = write("tampered.tar", true, serviceLayers(), serviceConfig(), "layer0");
        List<String> problems = ImageChecks.problems(ImageArchive.read(tar), 8082, 10001);
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("blob blobs/sha256/") && p.contains("the manifest says")),
                problems.toString());
    }

    @Test
    void archiveThatIsNoImageFailsWithTheReason() throws IOException {
        Path tar = dir.resolve("plain.tar");
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(tar))) {
            addFile(out, "README", "not an image".getBytes(StandardCharsets.UTF_8), 0644);
        }
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> ImageArchive.read(tar));
        assertTrue(e.getMessage().contains("neither index.json (OCI) nor manifest.json"), e.getMessage());
    }

    private void assertProblem(Consumer<ObjectNode> change, String expected) throws IOException {
        ObjectNode config = serviceConfig();
        change.accept(config);
        List<String> problems = ImageChecks.problems(
                ImageArchive.read(write("changed.tar", true, serviceLayers(), config, null)), 8082, 10001);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains(expected), problems.get(0) + " should contain: " + expected);
    }

    // --- writing images ---------------------------------------------------------------------------------------

    /** Writes an image tarball; {@code tamperedBlob} ("layer0") gets content other than its digest says. */
    private Path write(String name, boolean oci, List<List<Entry>> layers, ObjectNode config, String tamperedBlob)
            throws IOException {
        List<byte[]> blobs = new ArrayList<>();
        ArrayNode diffIds = config.putObject("rootfs").put("type", "layers").putArray("diff_ids");
        for (List<Entry> layer : layers) {
            byte[] uncompressed = layerTar(layer);
            diffIds.add(sha256(uncompressed));
            ByteArrayOutputStream gz = new ByteArrayOutputStream();
            try (OutputStream out = new GzipCompressorOutputStream(gz)) {
                out.write(uncompressed);
            }
            blobs.add(gz.toByteArray());
        }
        byte[] configBytes = JSON.writeValueAsBytes(config);
        Path tar = dir.resolve(name);
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(tar))) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            if (oci) {
                ObjectNode manifest = JSON.createObjectNode();
                manifest.put("schemaVersion", 2);
                manifest.putObject("config").put("digest", sha256(configBytes)).put("size", configBytes.length);
                ArrayNode layerList = manifest.putArray("layers");
                for (byte[] blob : blobs) {
                    layerList.addObject().put("mediaType", "application/vnd.oci.image.layer.v1.tar+gzip")
                            .put("digest", sha256(blob)).put("size", blob.length);
                }
                byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
                ObjectNode index = JSON.createObjectNode();
                index.put("schemaVersion", 2).putArray("manifests").addObject()
                        .put("digest", sha256(manifestBytes)).put("size", manifestBytes.length);
                addFile(out, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8), 0644);
                addFile(out, "index.json", JSON.writeValueAsBytes(index), 0644);
                addFile(out, "blobs/sha256/" + sha256(manifestBytes).substring(7), manifestBytes, 0644);
                addFile(out, "blobs/sha256/" + sha256(configBytes).substring(7), configBytes, 0644);
                for (int i = 0; i < blobs.size(); i++) {
                    byte[] content = ("layer" + i).equals(tamperedBlob) ? gzip(layerTar(List.of())) : blobs.get(i);
                    addFile(out, "blobs/sha256/" + sha256(blobs.get(i)).substring(7), content, 0644);
                }
            } else {
                ArrayNode manifest = JSON.createArrayNode();
                ObjectNode image = manifest.addObject().put("Config", "config.json");
                image.putArray("RepoTags").add("qwm/test:1");
                ArrayNode layerList = image.putArray("Layers");
                for (int i = 0; i < blobs.size(); i++) {
                    layerList.add("layer" + i + ".tar.gz");
                }
                addFile(out, "manifest.json", JSON.writeValueAsBytes(manifest), 0644);
                addFile(out, "config.json", configBytes, 0644);
                for (int i = 0; i < blobs.size(); i++) {
                    addFile(out, "layer" + i + ".tar.gz", blobs.get(i), 0644);
                }
            }
        }
        return tar;
    }

    private static byte[] layerTar(List<Entry> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
            for (Entry e : entries) {
                if (e.type() == 'l') {
                    TarArchiveEntry t = new TarArchiveEntry(e.path(), TarArchiveEntry.LF_SYMLINK);
                    t.setLinkName(e.content());
                    t.setMode(0120777);
                    out.putArchiveEntry(t);
                    out.closeArchiveEntry();
                } else if (e.type() == 'd') {
                    TarArchiveEntry t = new TarArchiveEntry(e.path());
                    t.setMode(040000 | e.mode());
                    out.putArchiveEntry(t);
                    out.closeArchiveEntry();
                } else {
                    addFile(out, e.path(), e.content().getBytes(StandardCharsets.UTF_8), e.mode());
                }
            }
        }
        return bytes.toByteArray();
    }

    private static void addFile(TarArchiveOutputStream out, String path, byte[] content, int mode) throws IOException {
        TarArchiveEntry t = new TarArchiveEntry(path);
        t.setSize(content.length);
        t.setMode(0100000 | mode);
        out.putArchiveEntry(t);
        out.write(content);
        out.closeArchiveEntry();
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (OutputStream out = new GzipCompressorOutputStream(gz)) {
            out.write(data);
        }
        return gz.toByteArray();
    }

    private static String sha256(byte[] data) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode cfg(ObjectNode config) {
        return (ObjectNode) config.get("config");
    }
}
