package dev.qwm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.training.export.ModelWeights;
import dev.qwm.training.export.OnnxExporter;
import dev.qwm.training.model.Normalization;
import dev.qwm.training.model.WorldModelConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantizeCommandTest {

    /** A Wall bundle with the shipped small architecture and random weights. */
    static Path randomWallBundle(Path dir) {
        WorldModelConfig c = WorldModelConfig.small(2, 1);
        ModelWeights w = ModelWeights.random(c, Normalization.identity(2, c.actionDim()), 1);
        double[] ones = new double[c.actionDim()];
        Arrays.fill(ones, 1);
        BundleManifest m = new BundleManifest(BundleManifest.FORMAT, "random-wall", "wall", c.imageSize(), "qwm", c.patchSize(),
                c.numPatches(), c.latentDim(), 2, c.proprioEmbDim(), c.actionDim(), c.actionEmbDim(), c.numHist(),
                c.frameskip(), new double[c.actionDim()], ones, new double[2], new double[]{1, 1}, Map.of(), null);
        ModelBundle.Writer writer = ModelBundle.writer(m);
        OnnxExporter.exportAll(w).forEach(writer::component);
        writer.write(dir);
        return dir;
    }

    static String run(String... args) {
        return CliRun.ok(args);
    }

    @Tag("slow")
    @Test
    void presetQuantizesThePredictorIntoANewBundle(@TempDir Path dir) throws Exception {
        Path fp = randomWallBundle(dir.resolve("fp"));
        String json = run("quantize", "--bundle", fp.toString(), "--preset", "w4a16-g128", "--modules", "predictor",
                "--out", dir.resolve("q").toString(), "--json");
        JsonNode manifest = new ObjectMapper().readTree(json);
        assertEquals("qwm-quantization/3", manifest.get("format").asText());
        JsonNode predictor = manifest.get("modules").get(0);
        assertEquals("predictor", predictor.get("module").asText());
        assertTrue(predictor.get("weightBytesAfter").asLong() <= 0.2 * predictor.get("weightBytesBefore").asLong());
        ModelBundle q = ModelBundle.read(dir.resolve("q"));
        assertEquals(ModelBundle.read(fp).manifest().components().get("visual_encoder").sha256(),
                q.manifest().components().get("visual_encoder").sha256());

        String table = run("quantize", "--bundle", fp.toString(), "--preset", "w8a8", "--method", "smoothquant",
                "--episodes", "1", "--quant-iter", "1", "--samples", "20", "--opt-steps", "2",
                "--out", dir.resolve("q8").toString());
        assertTrue(table.contains("MatMulIntegerToFloat"), table);
        assertTrue(table.contains("smoothquant on block0/attn/LayerNormalization"), table);
        // the int8 weights' storage measured on this CPU: kept as written, or run as the exact other one
        assertTrue(table.contains("kernels at load on this CPU") && table.contains("× u8"), table);
        // one choice per quantized layer; products split at load (attention's q, k, v) are listed beside them
        int layers = 0;
        for (JsonNode c : manifest.at("/kernelChoices/predictor/layers")) {
            layers += c.path("stored").asText().equals("MatMulNBits") ? 1 : 0;
        }
        assertEquals(8, layers, json);
    }

    @Test
    void impossibleRecipesAreRefusedNamingTheProblem(@TempDir Path dir) {
        Path fp = randomWallBundle(dir.resolve("fp"));
        StringWriter err = new StringWriter();
        var cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute("quantize", "--bundle", fp.toString(), "--preset", "w5a16", "--out", dir.resolve("x").toString()));
        assertTrue(err.toString().contains("unknown preset 'w5a16'"), err.toString());
        StringWriter err2 = new StringWriter();
        cli.setErr(new PrintWriter(err2));
        assertEquals(1, cli.execute("quantize", "--bundle", fp.toString(), "--preset", "w4a16", "--accuracy-level", "4",
                "--out", dir.resolve("y").toString()));
        assertTrue(err2.toString().contains("--act-granularity kernel"), err2.toString());
    }

    @Tag("slow")
    @Test
    void perTokenActivationsQuantizeTheShippedPushTModelWithoutAnyDataset(@TempDir Path dir) throws Exception {
        Path pusht = Path.of("../../models/pusht");
        String json = run("quantize", "--bundle", pusht.toString(), "--preset", "w8a8", "--act-granularity", "token",
                "--modules", "predictor", "--out", dir.resolve("q").toString(), "--json");
        JsonNode layer = new ObjectMapper().readTree(json).get("modules").get(0).get("layers").get(0);
        assertEquals("A8-token", layer.get("activations").asText());
        assertEquals("MatMulInteger", layer.get("kernel").get("kernel").asText());
    }

    /** Runs {@code args} expecting exit code 1; returns what was printed on stderr. */
    static String refused(String... args) {
        StringWriter err = new StringWriter();
        var cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute(args), String.join(" ", args) + ": " + err);
        return err.toString();
    }

    static Map<String, String> checksums(Path dir) throws IOException {
        Map<String, String> sums = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                sums.put(dir.relativize(f).toString(), ModelBundle.sha256(f));
            }
        }
        return sums;
    }

    @Test
    void theSourceBundleIsNeverTheTargetNorHoldsItEvenWithForce(@TempDir Path dir) throws Exception {
        Path fp = randomWallBundle(dir.resolve("fp"));
        Map<String, String> before = checksums(fp);
        for (String out : new String[] {fp.toString(), fp.resolve("q").toString(), dir.toString()}) {
            String err = refused("quantize", "--bundle", fp.toString(), "--preset", "w8a16", "--out", out, "--force");
            assertTrue(err.contains("--bundle " + fp) && err.contains("a write never goes into what it reads"), err);
        }
        assertEquals(before, checksums(fp));
        assertEquals(java.util.List.of("fp"), Files.list(dir).map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void anExistingBundleIsReplacedOnlyWithForceAndAsAWhole(@TempDir Path dir) throws Exception {
        Path fp = randomWallBundle(dir.resolve("fp"));
        Path q = dir.resolve("q");
        run("quantize", "--bundle", fp.toString(), "--preset", "w8a16", "--out", q.toString(), "--json");
        Map<String, String> before = checksums(q);
        String err = refused("quantize", "--bundle", fp.toString(), "--preset", "w4a16", "--out", q.toString());
        assertTrue(err.contains("--out " + q + " already holds a bundle; pass --force to replace it"), err);
        assertEquals(before, checksums(q));

        run("quantize", "--bundle", fp.toString(), "--preset", "w4a16", "--out", q.toString(), "--force", "--json");
        assertTrue(ModelBundle.read(q).manifest().name().contains("-w4a16-"), ModelBundle.read(q).manifest().name());
        assertTrue(Files.readString(q.resolve("quantization.json")).contains("w4a16"));
        assertEquals(java.util.List.of("fp", "q"), Files.list(dir).map(p -> p.getFileName().toString()).sorted().toList(),
                "no staging or replaced folder is left beside it");
    }

    @Test
    void aFolderThatIsNotABundleIsNotReplacedEvenWithForce(@TempDir Path dir) throws Exception {
        Path fp = randomWallBundle(dir.resolve("fp"));
        Path notes = Files.createDirectories(dir.resolve("notes"));
        Files.writeString(notes.resolve("todo.txt"), "keep me");
        String err = refused("quantize", "--bundle", fp.toString(), "--preset", "w8a16", "--out", notes.toString(), "--force");
        assertTrue(err.contains("exists and does not hold a bundle; refusing to replace it"), err);
        assertEquals("keep me", Files.readString(notes.resolve("todo.txt")));
    }

    @Test
    void anErrorKeepsItsCause() {
        var e = new java.io.UncheckedIOException("cannot write bundle /x",
                new IOException("No space left on device"));
        assertEquals("cannot write bundle /x: No space left on device", QwmCommand.explain(e));
        assertEquals("a: b", QwmCommand.explain(new IllegalStateException("a: b", new IOException("b"))));
    }
}
