package dev.qwm.quantizer.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactStoreTest {

    /** A valid bundle whose "ONNX" files are a few bytes (the store only moves and verifies files). */
    static ModelBundle bundle(Path dir, String name, byte salt) {
        BundleManifest m = new BundleManifest(BundleManifest.FORMAT, name, "wall", 64, "qwm", 16, 16, 8, 2, 10, 10, 10, 1, 5,
                new double[10], ones(10), new double[2], ones(2), Map.of(), null);
        ModelBundle.Writer w = ModelBundle.writer(m);
        for (String c : BundleManifest.REQUIRED_COMPONENTS) {
            w.component(c, new byte[]{salt, (byte) c.length()});
        }
        return w.write(dir);
    }

    static double[] ones(int n) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, 1);
        return a;
    }

    @Test
    void keyNamesBundleAndRecipeAndHashesContentNotPaths(@TempDir Path tmp) {
        ModelBundle a = bundle(tmp.resolve("a"), "Wall FP32", (byte) 1);
        ModelBundle sameContentElsewhere = bundle(tmp.resolve("elsewhere/b"), "Wall FP32", (byte) 1);
        ModelBundle other = bundle(tmp.resolve("c"), "Wall FP32", (byte) 2);
        String key = ArtifactStore.key(a, "w4a16-g128-rtn-predictor", "{\"r\":1}", "s");
        assertTrue(key.matches("wall-fp32-w4a16-g128-rtn-predictor-[0-9a-f]{16}"), key);
        // the store's keys on disk stay what they were (python3 over the same text: KEY_FORMAT, components, recipe)
        assertEquals("wall-fp32-w4a16-g128-rtn-predictor-b51a15f79de1882f", key);
        assertEquals(key, ArtifactStore.key(sameContentElsewhere, "w4a16-g128-rtn-predictor", "{\"r\":1}", "s"));
        assertNotEquals(key, ArtifactStore.key(other, "w4a16-g128-rtn-predictor", "{\"r\":1}", "s"));
        assertNotEquals(key, ArtifactStore.key(a, "w4a16-g128-rtn-predictor", "{\"r\":2}", "s"));
        assertNotEquals(key, ArtifactStore.key(a, "w4a16-g128-rtn-predictor", "{\"r\":1}", "t"));
        assertTrue(ArtifactStore.validId(key));
        assertFalse(ArtifactStore.validId(".."));
        assertFalse(ArtifactStore.validId("a/../b"));
        assertFalse(ArtifactStore.validId(".partial"));
        assertEquals("bundle", ArtifactStore.slug("///"));
    }

    @Test
    void commitRenamesACompleteBundleIntoPlaceAndTheFirstWriterWins(@TempDir Path tmp) throws Exception {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"), Duration.ofHours(1));
        assertTrue(store.find("x-1").isEmpty());
        Path partial = store.newPartial("x-1");
        assertTrue(partial.startsWith(store.root().resolve(ArtifactStore.PARTIAL_DIR)));
        ModelBundle written = bundle(partial, "x", (byte) 1);
        assertTrue(store.find("x-1").isEmpty(), "a partial bundle is not found");
        ModelBundle committed = store.commit(partial, "x-1");
        assertEquals(store.root().resolve("x-1"), committed.directory());
        assertEquals(written.manifest().components(), committed.manifest().components());
        assertFalse(Files.exists(partial));
        assertEquals(committed.directory(), store.find("x-1").orElseThrow().directory());

        // a second writer of the same key (another replica): the first bundle stays, the second partial goes
        Path second = store.newPartial("x-1");
        bundle(second, "x", (byte) 1);
        store.commit(second, "x-1");
        assertFalse(Files.exists(second));
        assertEquals(written.manifest().components(), store.find("x-1").orElseThrow().manifest().components());

        assertFalse(store.published(committed.directory(), "cluster-a"));
        store.markPublished(committed.directory(), "cluster-a");
        assertTrue(store.published(committed.directory(), "cluster-a"));
        assertFalse(store.published(committed.directory(), "cluster-b"), "a fresh broker has not seen the events");
        // a marker of an older quantizer (a time stamp, no cluster): announced again
        Files.writeString(committed.directory().resolve(ArtifactStore.PUBLISHED_MARKER), "2026-12-06T02:00:00Z\n");
        assertFalse(store.published(committed.directory(), "cluster-a"));
        assertTrue(store.problem().isEmpty());
    }

    @Test
    void aDamagedStoredBundleIsReportedNotReused(@TempDir Path tmp) throws Exception {
        ArtifactStore store = new ArtifactStore(tmp, Duration.ofHours(1));
        Path partial = store.newPartial("y-1");
        bundle(partial, "y", (byte) 1);
        ModelBundle b = store.commit(partial, "y-1");
        Files.write(b.componentPath(BundleManifest.PREDICTOR), new byte[]{9, 9, 9});
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.find("y-1"));
        assertTrue(e.getMessage().contains("not a valid bundle") && e.getMessage().contains("remove that folder"), e.getMessage());
    }

    @Test
    void startupRemovesOnlyStalePartials(@TempDir Path tmp) throws Exception {
        Path stale = tmp.resolve(ArtifactStore.PARTIAL_DIR).resolve("old.1");
        Path fresh = tmp.resolve(ArtifactStore.PARTIAL_DIR).resolve("new.2");
        Files.createDirectories(stale);
        Files.writeString(stale.resolve("predictor.onnx"), "x");
        Files.createDirectories(fresh);
        Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        new ArtifactStore(tmp, Duration.ofHours(1));
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(fresh));
    }
}
