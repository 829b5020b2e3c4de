package dev.qwm.predictor;

import dev.qwm.infra.ServiceProcess;
import dev.qwm.planning.onnx.TestBundles;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A tiny bundle on disk and the real encoder service serving its visual encoder, for the predictor under test: its
 * encoder client points at that process and it preloads the bundle's predictor.
 */
public class EncoderServiceResource implements QuarkusTestResourceLifecycleManager {

    private static volatile Path bundleDir;
    private Path workDir;
    private ServiceProcess encoder;

    /** The bundle folder that both services load. */
    public static Path bundleDir() {
        return bundleDir;
    }

    @Override
    public Map<String, String> start() {
        try {
            Path target = Paths.get("target");
            Files.createDirectories(target);
            workDir = Files.createTempDirectory(target.toAbsolutePath(), "predictor-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        bundleDir = TestBundles.tinyWall(workDir.resolve("tiny-wall"), 3, 11).directory();
        encoder = ServiceProcess.packaged("encoder", "for-predictor-tests", Map.of(),
                // the encoder process is confined to the test's folder, as a deployed one is to its store
                Map.of("QWM_ENCODER_PRELOAD", bundleDir.toString(), "QWM_BUNDLE_ROOTS", workDir.toString()),
                Duration.ofSeconds(90));
        return Map.of(
                "quarkus.grpc.clients.encoder.host", "127.0.0.1",
                "quarkus.grpc.clients.encoder.port", Integer.toString(encoder.port()),
                // in test mode a Quarkus gRPC client would otherwise dial the application's own test port
                "quarkus.grpc.clients.encoder.test-port", Integer.toString(encoder.port()),
                "predictor.preload", bundleDir.toString(),
                // long enough that concurrent calls of the test's sessions always merge; a lone session never waits
                "predictor.batch-window", "2s");
    }

    @Override
    public void stop() {
        if (encoder != null) {
            encoder.close();
        }
        if (bundleDir != null) {
            // the encoder's log stays in target/ for a look after a failure
            try (Stream<Path> files = Files.walk(bundleDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
