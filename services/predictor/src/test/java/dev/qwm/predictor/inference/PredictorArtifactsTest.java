package dev.qwm.predictor.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.planning.onnx.TestBundles;
import dev.qwm.predictor.TestConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictorArtifactsTest {

    @TempDir
    Path dir;

    private static void awaitPreload(PredictorArtifacts artifacts) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!artifacts.ready() && artifacts.preloadFailure() == null && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    @Test
    void preloadedArtifactsMakeItReadyAndAreFoundByBundleOrSha() throws Exception {
        ModelBundle a = TestBundles.tinyWall(dir.resolve("a"), 1, 1);
        ModelBundle b = TestBundles.tinyWall(dir.resolve("b"), 3, 2);
        PredictorArtifacts artifacts = new PredictorArtifacts(TestConfig.defaults()
                .withPreload(List.of(a.directory().toString(), " " + b.directory() + " ")), new SimpleMeterRegistry(),
                sha -> 0);
        try {
            awaitPreload(artifacts);
            assertTrue(artifacts.ready());
            assertNull(artifacts.preloadFailure());
            assertEquals(2, artifacts.loaded().size());
            String shaA = a.manifest().components().get(BundleManifest.PREDICTOR).sha256();
            LoadedPredictor bySha = artifacts.get(ArtifactRef.newBuilder().setSha256(shaA).build());
            LoadedPredictor byBundle = artifacts.get(ArtifactRef.newBuilder()
                    .setBundle(dir.resolve("x/../a").toString()).build());
            assertSame(bySha, byBundle, "one artifact, whichever way it is named");
            assertEquals(shaA, bySha.sha256());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> artifacts.get(
                    ArtifactRef.newBuilder().setBundle(a.directory().toString())
                            .setComponent(ModelComponent.MODEL_COMPONENT_ENCODER).build()));
            assertTrue(e.getMessage().contains("MODEL_COMPONENT_ENCODER"), e.getMessage());
        } finally {
            artifacts.closeAll();
        }
    }

    @Test
    void aBundleThatCannotBeLoadedKeepsItNotReadyAndSaysWhy() throws Exception {
        PredictorArtifacts artifacts = new PredictorArtifacts(TestConfig.defaults()
                .withPreload(List.of(dir.resolve("nowhere").toString())), new SimpleMeterRegistry(), sha -> 0);
        try {
            awaitPreload(artifacts);
            assertTrue(!artifacts.ready());
            assertTrue(artifacts.preloadFailure().contains("nowhere"), artifacts.preloadFailure());
        } finally {
            artifacts.closeAll();
        }
    }

    @Test
    void theLeastRecentlyUsedArtifactIsClosedBeyondTheLimit() {
        ModelBundle a = TestBundles.tinyWall(dir.resolve("a"), 1, 1);
        ModelBundle b = TestBundles.tinyWall(dir.resolve("b"), 1, 2);
        ModelBundle c = TestBundles.tinyWall(dir.resolve("c"), 1, 3);
        PredictorArtifacts artifacts = new PredictorArtifacts(TestConfig.defaults().withMaxLoaded(2),
                new SimpleMeterRegistry(), sha -> 0);
        try {
            LoadedPredictor pa = artifacts.get(ref(a));
            artifacts.get(ref(b));
            artifacts.get(ref(a)); // a is now more recent than b
            artifacts.get(ref(c));
            List<String> loaded = artifacts.loaded().stream().map(LoadedPredictor::bundle).toList();
            assertEquals(List.of(a.directory().toString(), c.directory().toString()), loaded);
            assertSame(pa, artifacts.get(ref(a)));
        } finally {
            artifacts.closeAll();
        }
    }

    @Test
    void zeroIntraOpThreadsMeansOnePerAvailableProcessorAndACountIsKept() {
        for (int configured : new int[] {0, 3}) {
            PredictorArtifacts artifacts = new PredictorArtifacts(TestConfig.defaults().withIntraOpThreads(configured),
                    new SimpleMeterRegistry(), sha -> 0);
            try {
                assertEquals(configured == 0 ? Runtime.getRuntime().availableProcessors() : configured,
                        artifacts.runEnvironment().threads());
            } finally {
                artifacts.closeAll();
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PredictorArtifacts(
                TestConfig.defaults().withIntraOpThreads(-1), new SimpleMeterRegistry(), sha -> 0));
        assertTrue(e.getMessage().contains("predictor.intra-op-threads"), e.getMessage());
    }

    private static ArtifactRef ref(ModelBundle bundle) {
        return ArtifactRef.newBuilder().setBundle(bundle.directory().toString()).build();
    }
}
