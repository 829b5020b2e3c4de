package dev.qwm.quantizer.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.api.events.v1.ArtifactCreated;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactEventsTest {

    /** A valid bundle whose "ONNX" files are a few bytes: events only need names, hashes and sizes. */
    private static ModelBundle bundle(Path dir, byte salt) {
        double[] ones = new double[10];
        Arrays.fill(ones, 1);
        BundleManifest m = new BundleManifest(BundleManifest.FORMAT, "Wall FP32", "wall", 64, "qwm", 16, 16, 8, 2, 10, 10, 10,
                1, 5, new double[10], ones, new double[2], new double[]{1, 1}, Map.of(), null);
        ModelBundle.Writer w = ModelBundle.writer(m);
        for (String c : BundleManifest.REQUIRED_COMPONENTS) {
            w.component(c, new byte[]{salt, (byte) c.length()});
        }
        return w.write(dir);
    }

    @Test
    void aFullPrecisionBundleIsRegisteredWithoutSourceUnderStableEventIds(@TempDir Path tmp) {
        ModelBundle fp = bundle(tmp.resolve("fp"), (byte) 1);
        assertTrue(ArtifactEvents.fullPrecision(fp));
        List<ArtifactCreated> events = ArtifactEvents.registrations(fp, 1000);
        assertEquals(List.of(ModelComponent.MODEL_COMPONENT_PREDICTOR, ModelComponent.MODEL_COMPONENT_ENCODER),
                events.stream().map(e -> e.getArtifact().getComponent()).toList(), "in component-name order");
        for (ArtifactCreated e : events) {
            assertFalse(e.hasSource());
            assertEquals(fp.directory().toString(), e.getArtifact().getBundle());
            assertEquals(1000, e.getCreatedAtUnixMs());
        }
        assertEquals(events.get(0).getEventId(), ArtifactEvents.registrations(fp, 2000).get(0).getEventId(),
                "a republication is the same event");
        ModelBundle copy = bundle(tmp.resolve("copy"), (byte) 1);
        assertNotEquals(events.get(0).getEventId(), ArtifactEvents.registrations(copy, 1000).get(0).getEventId(),
                "the same file in another bundle is another artifact");
        assertEquals(events.get(0).getArtifact().getSha256() + "@" + fp.directory(), ArtifactEvents.key(events.get(0)));
    }

    @Test
    void onlyTheArtifactsARecipeChangedAreAnnouncedAndWithTheirSource(@TempDir Path tmp) {
        ModelBundle fp = bundle(tmp.resolve("fp"), (byte) 1);
        ModelBundle out = bundle(tmp.resolve("out"), (byte) 1);
        String fpEncoder = fp.manifest().components().get(BundleManifest.VISUAL_ENCODER).sha256();
        Artifact unchanged = new Artifact(ModelComponent.MODEL_COMPONENT_ENCODER, BundleManifest.VISUAL_ENCODER,
                fpEncoder, out.directory().toString(), "q", 2, false);
        Artifact changed = new Artifact(ModelComponent.MODEL_COMPONENT_PREDICTOR, BundleManifest.PREDICTOR,
                "f".repeat(64), out.directory().toString(), "q", 1234, true);
        List<ArtifactCreated> events = ArtifactEvents.quantized(fp, List.of(unchanged, changed), "{\"recipe\":1}",
                "{\"format\":\"qwm-quantization/1\"}", 5);
        assertEquals(1, events.size());
        ArtifactCreated e = events.get(0);
        assertEquals("f".repeat(64), e.getArtifact().getSha256());
        assertEquals(fp.manifest().components().get(BundleManifest.PREDICTOR).sha256(), e.getSource().getSha256());
        assertEquals(fp.directory().toString(), e.getSource().getBundle());
        assertEquals("{\"recipe\":1}", e.getRecipeJson());
        assertEquals("{\"format\":\"qwm-quantization/1\"}", e.getManifestJson());
        assertEquals(1234, e.getSizeBytes());
        assertFalse(e.hasQuantizedOn(), "a manifest without ranOn (format 1) says nowhere");
        ArtifactCreated placed = ArtifactEvents.quantized(fp, List.of(changed), "{}", "{\"ranOn\": {\"cpu\": \"AMD EPYC 7B12\","
                + " \"cpuClass\": \"avx2\", \"cpuFeatures\": \"avx2+\", \"onnxRuntime\": \"1.29.0\","
                + " \"executionProvider\": \"cpu\", \"threads\": 1}}", 5).get(0);
        assertEquals("AMD EPYC 7B12", placed.getQuantizedOn().getCpuModel());
        assertEquals("avx2", placed.getQuantizedOn().getCpuClass());
        assertEquals(1, placed.getQuantizedOn().getThreads());
    }
}
