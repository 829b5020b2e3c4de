package dev.qwm.onnx.dinowm;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.graph.GraphEditor;
import dev.qwm.onnx.graph.Nodes;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.graph.TensorData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The importer on models/dinowm-small, which export_dinowm.py --small wrote from DINO-WM's own classes (DINOv2's
 * DinoVisionTransformer, ViTPredictor, ProprioceptiveEmbedding) with torch 1.13, and on broken copies of it.
 */
class DinoWmImportTest {

    static final Path SMALL = Path.of("../../../models/dinowm-small").toAbsolutePath().normalize();

    static DinoWmImport.Options options(Path dir, Path reference) {
        return new DinoWmImport.Options(dir, "wall", dir.resolve("stats.json"), reference, null, null, null, null);
    }

    @Test
    void theSmallExportImportsAndReproducesItsReferences(@TempDir Path tmp) {
        Path out = tmp.resolve("bundle");
        ModelBundle b = DinoWmImport.importTo(options(SMALL, SMALL), ModelBundle.target(out, "--out"));
        BundleManifest m = b.manifest();
        assertEquals(224, m.imageSize());
        assertEquals(196, m.numPatches());
        assertEquals(16, m.patchSize());
        assertEquals(32, m.latentDim());
        assertEquals(2, m.numHist(), "read from the predictor's position embedding");
        assertEquals(5, m.frameskip());
        assertEquals(10, m.actionDim());
        assertEquals(2, m.proprioDim());
        assertEquals(52, m.tokenDim());
        assertEquals(10, m.actionMean().length, "the statistics tiled frameskip times");
        assertEquals(4, m.provenance().get("referenceMaxRelativeError").size());
        m.provenance().get("referenceMaxRelativeError").forEach(e -> assertTrue(e.asDouble() <= 1e-4, e.toString()));
        ModelProto enc = OnnxModels.read(b.componentPath(BundleManifest.VISUAL_ENCODER));
        assertEquals("images", enc.getGraph().getInput(0).getName());
        assertEquals(1, enc.getGraph().getInputCount());
        assertEquals("latents", enc.getGraph().getOutput(0).getName());
        ModelProto pred = OnnxModels.read(b.componentPath(BundleManifest.PREDICTOR));
        assertEquals(4, pred.getGraph().getInput(0).getType().getTensorType().getShape().getDimCount());
    }

    @Test
    void aMissingFileIsRefusedByNameAndNothingIsWritten(@TempDir Path tmp) throws IOException {
        Path dir = copy(SMALL, tmp.resolve("export"));
        Files.delete(dir.resolve("dinowm_action_encoder.onnx"));
        String msg = refused(dir, tmp);
        assertTrue(msg.contains("missing dinowm_action_encoder.onnx"), msg);

        Path dir2 = copy(SMALL, tmp.resolve("export2"));
        Files.delete(dir2.resolve("predictor.expected.npy"));
        msg = refused(dir2, tmp);
        assertTrue(msg.contains("--reference") && msg.contains("predictor.expected.npy"), msg);
    }

    @Test
    void aPredictorWhoseTokensAreNoWholeFramesIsRefused(@TempDir Path tmp) throws IOException {
        Path dir = copy(SMALL, tmp.resolve("export"));
        Path file = dir.resolve("dinowm_predictor.onnx");
        ModelProto m = OnnxModels.read(file);
        // the same predictor declared for 390 tokens: 390 is no multiple of 196
        ValueInfoProto in = m.getGraph().getInput(0);
        TensorShapeProto shape = in.getType().getTensorType().getShape().toBuilder()
                .setDim(1, TensorShapeProto.Dimension.newBuilder().setDimValue(390)).build();
        ValueInfoProto fixed = in.toBuilder().setType(in.getType().toBuilder().setTensorType(
                in.getType().getTensorType().toBuilder().setShape(shape))).build();
        OnnxModels.write(m.toBuilder().setGraph(m.getGraph().toBuilder().setInput(0, fixed)).build(), file);
        String msg = refused(dir, tmp);
        assertTrue(msg.startsWith("predictor (dinowm_predictor.onnx)") && msg.contains("390 tokens")
                && msg.contains("not a multiple of the encoder's 196"), msg);
    }

    @Test
    void anEncoderWithAClsTokenIsRefused(@TempDir Path tmp) throws IOException {
        Path dir = copy(SMALL, tmp.resolve("export"));
        Path file = dir.resolve("dinowm_visual_encoder.onnx");
        ModelProto m = OnnxModels.read(file);
        // DINOv2's full token sequence: the first token put in front of the patch tokens again, 197 in all
        GraphEditor e = GraphEditor.of(m);
        String out = m.getGraph().getOutput(0).getName();
        e.putInitializer(TensorData.int64s("s0", new long[]{0}, 1));
        e.putInitializer(TensorData.int64s("s1", new long[]{1}, 1));
        e.putInitializer(TensorData.int64s("ax", new long[]{1}, 1));
        e.appendNodes(List.of(
                Nodes.node("Slice", "cls_slice", List.of(out, "s0", "s1", "ax"), List.of("cls")),
                Nodes.node("Concat", "with_cls", List.of("cls", out), List.of("all_tokens"), Nodes.intAttr("axis", 1))));
        e.removeOutput(out);
        e.addOutput("all_tokens");
        OnnxModels.write(e.build(), file);
        String msg = refused(dir, tmp);
        assertTrue(msg.startsWith("visual_encoder (dinowm_visual_encoder.onnx)") && msg.contains("CLS token")
                && msg.contains("[1,197,32]"), msg);
    }

    @Test
    void statisticsOfTheWrongLengthAreRefused(@TempDir Path tmp) throws IOException {
        Path dir = copy(SMALL, tmp.resolve("export"));
        Files.writeString(dir.resolve("stats.json"), "{\"actionMean\": [0, 0], \"actionStd\": [1, 1], "
                + "\"proprioMean\": [0, 0, 0, 0], \"proprioStd\": [1, 1, 1, 1]}");
        String msg = refused(dir, tmp);
        assertTrue(msg.contains("proprioMean and proprioStd need 2 values") && msg.contains("got 4 and 4"), msg);

        Files.writeString(dir.resolve("stats.json"), "{\"actionMean\": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "
                + "\"actionStd\": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], \"proprioMean\": [0, 0], \"proprioStd\": [1, 1]}");
        msg = refused(dir, tmp);
        assertTrue(msg.contains("actionMean and actionStd need 2 values") && msg.contains("before frameskip"), msg);
    }

    @Test
    void aReferenceThatTheBundleDoesNotReproduceIsRefusedNamingTheWorstElement(@TempDir Path tmp) throws IOException {
        Path dir = copy(SMALL, tmp.resolve("export"));
        Npy expected = Npy.read(dir.resolve("action_encoder.expected.npy"));
        float[] data = expected.data().clone();
        data[7] += 0.01f;
        new Npy(expected.shape(), data).write(dir.resolve("action_encoder.expected.npy"));
        String msg = refused(dir, tmp);
        assertTrue(msg.contains("action_encoder differs from action_encoder.expected.npy")
                && msg.contains("[0, 0, 7]"), msg);
    }

    @Test
    void npyRoundTrips(@TempDir Path tmp) {
        Npy a = new Npy(new long[]{2, 3}, new float[]{1, 2, 3, 4, 5, 6.5f});
        a.write(tmp.resolve("a.npy"));
        Npy b = Npy.read(tmp.resolve("a.npy"));
        assertArrayEquals(a.shape(), b.shape());
        assertArrayEquals(a.data(), b.data());
        Npy r = Npy.read(SMALL.resolve("visual_encoder.input.npy"));
        assertArrayEquals(new long[]{1, 3, 224, 224}, r.shape());
    }

    /** Imports {@code dir} (its own references) into a fresh target that must stay absent; the refusal message. */
    static String refused(Path dir, Path tmp) {
        Path out = tmp.resolve("out-" + System.nanoTime());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DinoWmImport.importTo(options(dir, dir), ModelBundle.target(out, "--out")));
        assertFalse(Files.exists(out), "nothing written");
        try (Stream<Path> s = Files.list(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains("staging")), "no staging left");
        } catch (IOException io) {
            throw new java.io.UncheckedIOException(io);
        }
        return e.getMessage();
    }

    static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
        return to;
    }
}
