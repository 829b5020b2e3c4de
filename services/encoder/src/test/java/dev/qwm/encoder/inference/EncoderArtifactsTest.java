package dev.qwm.encoder.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.encoder.config.EncoderConfig;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.onnx.OnnxVisualEncoder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The service's encoder artifacts on the shipped bundles, through the real ONNX Runtime. */
class EncoderArtifactsTest {

    static final Path WALL = Path.of("../../models/wall").toAbsolutePath().normalize();
    static final Path PUSHT = Path.of("../../models/pusht").toAbsolutePath().normalize();

    record Config(Optional<List<String>> preload, int maxLoaded, int maxBatch, int intraOpThreads,
                  String executionProvider) implements EncoderConfig {
    }

    static EncoderArtifacts artifacts(int maxLoaded, String... preload) {
        return new EncoderArtifacts(new Config(Optional.of(List.of(preload)), maxLoaded, 16, 1, "cpu"),
                new SimpleMeterRegistry());
    }

    static ArtifactRef ref(Path bundle, String sha256) {
        return ArtifactRef.newBuilder().setBundle(bundle.toString()).setSha256(sha256).build();
    }

    static String encoderSha(Path bundle) {
        return ModelBundle.parseManifest(bundle.resolve(ModelBundle.MANIFEST_FILE)).components()
                .get(BundleManifest.VISUAL_ENCODER).sha256();
    }

    @Test
    void anEncoderServedHereEncodesAsTheBundlesOwn() {
        EncoderArtifacts artifacts = artifacts(2);
        try {
            LoadedEncoder e = artifacts.get(ref(WALL, ""));
            assertEquals(encoderSha(WALL), e.sha256());
            assertSame(e, artifacts.get(ArtifactRef.newBuilder().setSha256(e.sha256()).build()));
            byte[] image = new byte[e.imageSize() * e.imageSize() * 3];
            for (int i = 0; i < image.length; i++) {
                image[i] = (byte) (i * 31);
            }
            try (OnnxVisualEncoder direct = OnnxVisualEncoder.open(ModelBundle.read(WALL), SessionConfig.ofThreads(1))) {
                assertArrayEquals(direct.encode(ByteBuffer.wrap(image), 1), e.encode(ByteBuffer.wrap(image), 1));
            }
        } finally {
            artifacts.closeAll();
        }
    }

    @Test
    void aWrongHashOrAMissingBundleIsRefusedByName() {
        EncoderArtifacts artifacts = artifacts(2);
        try {
            IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                    () -> artifacts.get(ref(WALL, "0".repeat(64))));
            assertTrue(wrong.getMessage().contains("holds visual encoder " + encoderSha(WALL)), wrong.getMessage());
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> artifacts.get(ref(WALL.resolve("nothing"), "")));
            assertTrue(missing.getMessage().startsWith("cannot load encoder from bundle"), missing.getMessage());
            assertTrue(artifacts.loaded().isEmpty());
        } finally {
            artifacts.closeAll();
        }
    }

    @Test
    void beyondItsLimitTheLeastRecentlyUsedEncoderIsClosed() {
        EncoderArtifacts artifacts = artifacts(1);
        try {
            artifacts.get(ref(WALL, ""));
            LoadedEncoder pusht = artifacts.get(ref(PUSHT, ""));
            assertEquals(List.of(pusht), artifacts.loaded());
            IllegalArgumentException gone = assertThrows(IllegalArgumentException.class,
                    () -> artifacts.get(ArtifactRef.newBuilder().setSha256(encoderSha(WALL)).build()));
            assertTrue(gone.getMessage().contains("is not loaded here"), gone.getMessage());
        } finally {
            artifacts.closeAll();
        }
    }

    @Test
    void readinessWaitsForThePreloadedEncoders() throws Exception {
        EncoderArtifacts ok = artifacts(2, WALL.toString());
        EncoderArtifacts bad = artifacts(2, WALL.resolve("nothing").toString());
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while ((!ok.ready() || bad.preloadFailure() == null) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(ok.ready());
            assertEquals(encoderSha(WALL), ok.loaded().get(0).sha256());
            assertTrue(bad.preloadFailure().startsWith("cannot load encoder from bundle"), bad.preloadFailure());
        } finally {
            ok.closeAll();
            bad.closeAll();
        }
    }
}
