package dev.qwm.onnx.bundle;

import java.util.Map;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.onnx.runtime.TinyOnnx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelBundleTest {

    static BundleManifest wallManifest() {
        return BundleManifest.builder()
                .name("wall-tiny").environment("wall")
                .imageSize(64).patchSize(16).numPatches(16).latentDim(8)
                .proprioDim(2).actionDim(10).numHist(1)
                .actionNormalisation(new double[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                        new double[] {.5, .5, .5, .5, .5, .5, .5, .5, .5, .5})
                .proprioNormalisation(new double[] {32, 32}, new double[] {12, 12})
                .build();
    }

    static ModelBundle writeTiny(Path dir) {
        return ModelBundle.writer(wallManifest())
                .component(BundleManifest.VISUAL_ENCODER, TinyOnnx.addBias(new float[] {1f}))
                .component(BundleManifest.PROPRIO_ENCODER, TinyOnnx.addBias(new float[] {2f}))
                .component(BundleManifest.ACTION_ENCODER, TinyOnnx.addBias(new float[] {3f}))
                .component(BundleManifest.PREDICTOR, TinyOnnx.addBias(new float[] {4f}))
                .write(dir);
    }

    @Test
    void writesAndReadsBack(@TempDir Path dir) throws Exception {
        var provenance = new dev.qwm.onnx.dinowm.ImportProvenance("/exports/wall", Map.of("predictor.onnx", "ab"),
                "/exports/stats.json", null, Map.of("predictor", "x -> y"), null);
        ModelBundle written = ModelBundle.writer(wallManifest().withProvenance(provenance))
                .component(BundleManifest.VISUAL_ENCODER, TinyOnnx.addBias(new float[] {1f}))
                .component(BundleManifest.PROPRIO_ENCODER, TinyOnnx.addBias(new float[] {2f}))
                .component(BundleManifest.ACTION_ENCODER, TinyOnnx.addBias(new float[] {3f}))
                .component(BundleManifest.PREDICTOR, TinyOnnx.addBias(new float[] {4f}))
                .write(dir);
        ModelBundle read = ModelBundle.read(dir);
        assertEquals(written.manifest(), read.manifest());
        BundleManifest m = read.manifest();
        assertEquals(BundleManifest.REQUIRED_COMPONENTS, m.components().keySet());
        assertEquals(8 + 10 + 10, m.tokenDim());
        assertEquals(2, m.envActionDim());
        assertArrayEquals(new double[] {12, 12}, m.proprioStd());
        assertEquals(provenance, dev.qwm.onnx.dinowm.ImportProvenance.of(m).orElseThrow());
        assertEquals("dinowm-import", m.provenance().get("kind").asText());
        BundleComponent predictor = m.components().get(BundleManifest.PREDICTOR);
        assertEquals("predictor.onnx", predictor.file());
        assertEquals(ModelBundle.sha256(Files.readAllBytes(dir.resolve("predictor.onnx"))), predictor.sha256());
        assertEquals(Files.size(dir.resolve("predictor.onnx")), predictor.bytes());
        String json = Files.readString(dir.resolve(ModelBundle.MANIFEST_FILE));
        assertTrue(json.contains("\"format\" : \"qwm-bundle/1\"") && json.contains("\"latentDim\" : 8"), json);
        assertTrue(read.reference().startsWith("wall-tiny{visual_encoder="), read.reference());

        // a component file opens as an ORT session
        try (OnnxSession s = OrtRuntime.open(read.componentPath(BundleManifest.PREDICTOR),
                SessionConfig.singleThreaded())) {
            assertEquals(Set.of("x"), s.inputNames());
        }
    }

    @Test
    void aRewrittenBundleSharesUnchangedComponentsByHash(@TempDir Path tmp) {
        ModelBundle source = writeTiny(tmp.resolve("fp32"));
        ModelBundle quantized = ModelBundle.writer(source.manifest().withName("wall-tiny-w8"))
                .component(BundleManifest.VISUAL_ENCODER, source.componentPath(BundleManifest.VISUAL_ENCODER))
                .component(BundleManifest.PROPRIO_ENCODER, source.componentPath(BundleManifest.PROPRIO_ENCODER))
                .component(BundleManifest.ACTION_ENCODER, source.componentPath(BundleManifest.ACTION_ENCODER))
                .component(BundleManifest.PREDICTOR, TinyOnnx.addBias(new float[] {5f}))
                .write(tmp.resolve("w8"));
        var a = source.manifest().components();
        var b = quantized.manifest().components();
        assertEquals(a.get(BundleManifest.VISUAL_ENCODER), b.get(BundleManifest.VISUAL_ENCODER));
        assertNotEquals(a.get(BundleManifest.PREDICTOR).sha256(), b.get(BundleManifest.PREDICTOR).sha256());
    }

    @Test
    void aChangedComponentIsNamedWithItsHashes(@TempDir Path dir) throws Exception {
        writeTiny(dir);
        byte[] other = TinyOnnx.addBias(new float[] {9f}); // same length, different bytes
        Files.write(dir.resolve("predictor.onnx"), other);
        BundleException e = assertThrows(BundleException.class, () -> ModelBundle.read(dir));
        assertTrue(e.getMessage().contains("'predictor'") && e.getMessage().contains("predictor.onnx")
                && e.getMessage().contains("sha256"), e.getMessage());
    }

    @Test
    void aTruncatedOrMissingComponentIsNamed(@TempDir Path dir) throws Exception {
        writeTiny(dir);
        Files.write(dir.resolve("action_encoder.onnx"), new byte[] {1, 2, 3});
        BundleException truncated = assertThrows(BundleException.class, () -> ModelBundle.read(dir));
        assertTrue(truncated.getMessage().contains("action_encoder.onnx has 3 bytes"), truncated.getMessage());
        Files.delete(dir.resolve("action_encoder.onnx"));
        BundleException missing = assertThrows(BundleException.class, () -> ModelBundle.read(dir));
        assertTrue(missing.getMessage().contains("action_encoder.onnx does not exist"), missing.getMessage());
    }

    @Test
    void missingOrMalformedManifest(@TempDir Path dir) throws Exception {
        BundleException none = assertThrows(BundleException.class, () -> ModelBundle.read(dir));
        assertTrue(none.getMessage().contains("no model.json"), none.getMessage());
        assertTrue(assertThrows(BundleException.class, () -> ModelBundle.read(dir.resolve("nope")))
                .getMessage().contains("not a folder"));

        Path json = dir.resolve(ModelBundle.MANIFEST_FILE);
        Files.writeString(json, "{\"format\": \"qwm-bundle/1\",\n \"name\": ");
        BundleException malformed = assertThrows(BundleException.class, () -> ModelBundle.read(dir));
        assertTrue(malformed.getMessage().contains("not valid JSON") && malformed.getMessage().contains("line"),
                malformed.getMessage());

        Files.writeString(json, "[1, 2]");
        assertTrue(assertThrows(BundleException.class, () -> ModelBundle.read(dir)).getMessage()
                .contains("expected a JSON object"));
    }

    @Test
    void fieldProblemsNameTheField(@TempDir Path dir) throws Exception {
        writeTiny(dir);
        Path json = dir.resolve(ModelBundle.MANIFEST_FILE);
        String good = Files.readString(json);

        Files.writeString(json, good.replace("\"latentDim\" : 8,", ""));
        assertMessage(dir, "missing field latentDim");

        Files.writeString(json, good.replace("\"latentDim\" : 8", "\"latentDim\" : \"eight\""));
        assertMessage(dir, "'latentDim'");

        Files.writeString(json, good.replace("\"latentDim\" : 8", "\"latentDim\" : 8, \"latent_dim\" : 8"));
        assertMessage(dir, "unknown field 'latent_dim'");

        Files.writeString(json, good.replace("\"environment\" : \"wall\"", "\"environment\" : \"maze\""));
        assertMessage(dir, "environment must be one of");

        Files.writeString(json, good.replace("\"format\" : \"qwm-bundle/1\"", "\"format\" : \"qwm-bundle/9\""));
        assertMessage(dir, "format must be \"qwm-bundle/1\"");

        Files.writeString(json, good.replace("\"proprioStd\" : [ 12.0, 12.0 ]", "\"proprioStd\" : [ 12.0 ]"));
        assertMessage(dir, "proprioMean and proprioStd must have proprioDim = 2 entries");

        Files.writeString(json, good.replace("\"proprioStd\" : [ 12.0, 12.0 ]", "\"proprioStd\" : [ 12.0, 0.0 ]"));
        assertMessage(dir, "proprioStd[1] must be finite and > 0");

        Files.writeString(json, good.replace("\"file\" : \"predictor.onnx\"", "\"file\" : \"../predictor.onnx\""));
        assertMessage(dir, "not inside the bundle folder");

        Files.writeString(json, good.replace("\"predictor\" :", "\"decoder\" :"));
        assertMessage(dir, "lists no component [predictor]");
    }

    @Test
    void theFrameStyleRoundTripsAndAManifestWithoutItReadsAsQwmFrames(@TempDir Path tmp) throws Exception {
        Path dinowm = tmp.resolve("dinowm");
        ModelBundle.writer(BundleManifest.builder().name("pusht-tiny").environment("pusht").frameStyle("dinowm")
                        .imageSize(64).patchSize(16).numPatches(16).latentDim(8).proprioDim(4).actionDim(10).numHist(1)
                        .actionNormalisation(new double[10], new double[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
                        .proprioNormalisation(new double[4], new double[] {1, 1, 1, 1})
                        .build())
                .component(BundleManifest.VISUAL_ENCODER, TinyOnnx.addBias(new float[] {1f}))
                .component(BundleManifest.PROPRIO_ENCODER, TinyOnnx.addBias(new float[] {2f}))
                .component(BundleManifest.ACTION_ENCODER, TinyOnnx.addBias(new float[] {3f}))
                .component(BundleManifest.PREDICTOR, TinyOnnx.addBias(new float[] {4f}))
                .write(dinowm);
        assertTrue(Files.readString(dinowm.resolve(ModelBundle.MANIFEST_FILE)).contains("\"frameStyle\" : \"dinowm\""));
        BundleManifest read = ModelBundle.read(dinowm).manifest();
        assertEquals("dinowm", read.frameStyle());
        // carried through the copies a quantizer or a rename makes
        assertEquals("dinowm", read.withName("q").withComponents(read.components()).frameStyle());
        assertEquals(read, ModelBundle.parseManifest(ModelBundle.toJson(read), "message"));

        Path old = tmp.resolve("old");
        writeTiny(old);
        Path json = old.resolve(ModelBundle.MANIFEST_FILE);
        Files.writeString(json, Files.readString(json).replace("  \"frameStyle\" : \"qwm\",\n", ""));
        assertTrue(!Files.readString(json).contains("frameStyle"), "a manifest written before the field");
        assertEquals("qwm", ModelBundle.read(old).manifest().frameStyle());
    }

    @Test
    void anUnknownFrameStyleIsRefusedByName(@TempDir Path dir) throws Exception {
        writeTiny(dir);
        Path json = dir.resolve(ModelBundle.MANIFEST_FILE);
        Files.writeString(json, Files.readString(json).replace("\"frameStyle\" : \"qwm\"", "\"frameStyle\" : \"pygame\""));
        assertMessage(dir, "frameStyle must be one of [dinowm, qwm], got \"pygame\"");
        BundleException e = assertThrows(BundleException.class, () -> BundleManifest.builder().name("w")
                .environment("wall").frameStyle("DINOWM").imageSize(64).patchSize(16).numPatches(16).latentDim(8)
                .proprioDim(2).actionDim(10).numHist(1).actionNormalisation(new double[10], new double[] {1, 1, 1, 1, 1, 1,
                        1, 1, 1, 1}).proprioNormalisation(new double[2], new double[] {1, 1}).build());
        assertTrue(e.getMessage().contains("got \"DINOWM\""), e.getMessage()); // the names are the file format's, exact
    }

    @Test
    void writerNeedsEveryComponent(@TempDir Path dir) {
        BundleException e = assertThrows(BundleException.class, () -> ModelBundle.writer(wallManifest())
                .component(BundleManifest.PREDICTOR, TinyOnnx.addBias(new float[] {1f}))
                .write(dir));
        assertTrue(e.getMessage().contains("visual_encoder"), e.getMessage());
        assertThrows(BundleException.class, () -> BundleManifest.builder().name("x").environment("wall").build());
    }

    private static void assertMessage(Path dir, String expected) {
        BundleException e = assertThrows(BundleException.class, () -> ModelBundle.read(dir));
        assertTrue(e.getMessage().contains(expected), () -> "expected <" + expected + "> in: " + e.getMessage());
    }

    @Test
    void aWriteThatFailsMidwayLeavesTheOldBundleIntact(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("wall");
        ModelBundle old = writeTiny(dir);
        byte[] oldManifest = Files.readAllBytes(dir.resolve(ModelBundle.MANIFEST_FILE));
        // the predictor is written, then the copy of a component whose source has gone fails
        BundleException e = assertThrows(BundleException.class, () -> ModelBundle.writer(wallManifest())
                .component(BundleManifest.PREDICTOR, TinyOnnx.addBias(new float[] {7f}))
                .component(BundleManifest.VISUAL_ENCODER, tmp.resolve("gone.onnx"))
                .component(BundleManifest.PROPRIO_ENCODER, TinyOnnx.addBias(new float[] {2f}))
                .component(BundleManifest.ACTION_ENCODER, TinyOnnx.addBias(new float[] {3f}))
                .write(ModelBundle.target(dir, "--out").force(true)));
        assertTrue(e.getMessage().contains("gone.onnx does not exist"), e.getMessage());
        assertArrayEquals(oldManifest, Files.readAllBytes(dir.resolve(ModelBundle.MANIFEST_FILE)));
        assertEquals(old.manifest(), ModelBundle.read(dir).manifest()); // every component's sha256 checked
        try (var files = Files.list(tmp)) {
            assertEquals(java.util.List.of("wall"), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void aNewBundleDoesNotReplaceAnExistingOne(@TempDir Path tmp) {
        Path dir = tmp.resolve("wall");
        writeTiny(dir);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> writeTiny(dir));
        assertTrue(e.getMessage().contains("already holds a bundle"), e.getMessage());
    }

    /** The one SHA-256 of qwm (components, content keys, fingerprints): lower-case hex of FIPS 180-2's digest. */
    @Test
    void sha256IsTheStandardDigestInLowerCaseHex() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                ModelBundle.sha256("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ModelBundle.sha256(new byte[0]));
    }
}
