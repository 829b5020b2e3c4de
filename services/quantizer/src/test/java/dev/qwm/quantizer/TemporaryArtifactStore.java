package dev.qwm.quantizer;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An empty artifact store per test run (so the first submission really quantizes) and a folder for source bundles,
 * both removed at the end.
 */
public final class TemporaryArtifactStore implements QuarkusTestResourceLifecycleManager {

    private static volatile Path base;

    @Override
    public Map<String, String> start() {
        try {
            base = Files.createTempDirectory("qwm-quantizer-test");
            Files.createDirectories(sources());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("quantizer.artifacts-root", root().toString());
    }

    @Override
    public void stop() {
        if (base == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(base)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The artifact store's root. */
    static Path root() {
        return base.resolve("artifacts");
    }

    /** Where tests write their source bundles (outside the store). */
    static Path sources() {
        return base.resolve("sources");
    }
}
