package dev.qwm.onnx.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The load/evict rules on plain artifacts whose "model" is their folder's name. */
class LoadedArtifactsTest {

    static final class Plain implements LoadedArtifacts.Artifact {
        final String sha256;
        final String bundle;
        boolean closed;

        Plain(String bundle, String sha256) {
            this.bundle = LoadedArtifacts.normalise(bundle);
            this.sha256 = sha256;
        }

        @Override
        public String sha256() {
            return sha256;
        }

        @Override
        public String bundle() {
            return bundle;
        }

        @Override
        public String label() {
            return bundle;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** Folders a, b, c hold artifacts sha-a, sha-b, sha-c; loads are counted. */
    private final List<String> loads = new ArrayList<>();
    private final List<Plain> evicted = new ArrayList<>();

    private LoadedArtifacts<Plain> artifacts(int maxLoaded) {
        Map<String, String> shas = Map.of("a", "sha-a", "b", "sha-b", "c", "sha-c");
        return new LoadedArtifacts<>("encoder", maxLoaded, (folder, sha) -> {
            String name = java.nio.file.Path.of(folder).getFileName().toString();
            String held = shas.get(name);
            if (held == null) {
                throw new IllegalArgumentException("no bundle " + folder);
            }
            if (!sha.isBlank() && !sha.equals(held)) {
                throw new IllegalArgumentException("bundle " + folder + " holds " + held + ", not the requested " + sha);
            }
            loads.add(name);
            return new Plain(folder, held);
        }, evicted::add);
    }

    @Test
    void anArtifactIsLoadedOnceAndFoundBySha256OrByItsFolder() {
        LoadedArtifacts<Plain> a = artifacts(2);
        Plain first = a.get("a", "");
        assertSame(first, a.get("a", ""));
        assertSame(first, a.get("./a", ""), "folders are compared normalised");
        assertSame(first, a.get("", "sha-a"), "a loaded artifact is found by its sha256 alone");
        assertSame(first, a.get("b", "sha-a"), "the sha256 decides when the artifact is loaded");
        assertEquals(List.of("a"), loads);
    }

    @Test
    void theLeastRecentlyUsedIsEvictedAndClosed() {
        LoadedArtifacts<Plain> a = artifacts(2);
        Plain pa = a.get("a", "");
        Plain pb = a.get("b", "");
        a.get("a", ""); // a is now the most recently used
        Plain pc = a.get("c", "");
        assertEquals(List.of(pb), evicted);
        assertTrue(pb.closed);
        assertFalse(pa.closed);
        assertEquals(List.of(pa, pc), a.loaded(), "most recently used last");
        a.get("b", "");
        assertEquals(List.of("a", "b", "c", "b"), loads, "an evicted artifact is loaded again when asked for");
        a.closeAll();
        assertTrue(pa.closed && pc.closed);
        assertTrue(a.loaded().isEmpty());
    }

    @Test
    void referencesThatCannotBeServedAreRefusedByName() {
        LoadedArtifacts<Plain> a = artifacts(1);
        assertEquals("the encoder artifact reference names neither a bundle nor a sha256",
                assertThrows(IllegalArgumentException.class, () -> a.get(" ", "")).getMessage());
        assertEquals("encoder artifact sha-x is not loaded here and the reference names no bundle to load it from",
                assertThrows(IllegalArgumentException.class, () -> a.get("", "sha-x")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> a.get("a", "sha-b")).getMessage()
                .contains("not the requested sha-b"));
        assertThrows(IllegalArgumentException.class, () -> new LoadedArtifacts<Plain>("encoder", 0, (f, s) -> null, p -> { }));
    }

    @Test
    void preloadingReportsReadyOrWhyNot() throws Exception {
        LoadedArtifacts<Plain> ok = artifacts(2);
        List<Plain> preloaded = new ArrayList<>();
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        ok.preload(List.of("a", " ", "b"), "test-preload", p -> {
            preloaded.add(p);
            if (preloaded.size() == 2) {
                done.countDown();
            }
        }, e -> { });
        assertTrue(done.await(10, TimeUnit.SECONDS));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!ok.ready() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(ok.ready());
        assertEquals(2, ok.loaded().size());

        LoadedArtifacts<Plain> bad = artifacts(2);
        java.util.concurrent.CountDownLatch failed = new java.util.concurrent.CountDownLatch(1);
        bad.preload(List.of("a", "missing"), "test-preload", p -> { }, e -> failed.countDown());
        assertTrue(failed.await(10, TimeUnit.SECONDS));
        assertFalse(bad.ready());
        assertEquals("no bundle missing", bad.preloadFailure());
    }
}
