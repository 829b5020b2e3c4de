package dev.qwm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.planning.eval.RolloutDriftMeter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DriftCacheTest {

    private static final DriftCache.Key KEY = new DriftCache.Key("wall", "e1", "p1", "e0", "p0", 3, 3, 7_531L);
    private static final DriftCache.Models MODELS = new DriftCache.Models(Map.of(
            "encoder", Map.of("visual_encoder", "e1", "predictor", "p0"),
            "predictor", Map.of("visual_encoder", "e0", "predictor", "p1"),
            "referenceEncoder", Map.of("visual_encoder", "e0", "predictor", "p0"),
            "referencePredictor", Map.of("visual_encoder", "e0", "predictor", "p0")), 5, 64);

    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private final PrintStream log = new PrintStream(logged, true, StandardCharsets.UTF_8);

    @Test
    void aKeptMeasurementReadsBackAsTheSameDoubles(@TempDir Path dir) {
        // values whose decimal forms are long: each must come back as the very double that was measured
        double[] fp = {0.1 + 0.2, Math.PI / 3e7, Double.MIN_VALUE};
        double[] real = {1.0 / 3, Math.nextUp(0.0123456789), 1e300};
        DriftCache cache = DriftCache.open(dir, false);
        cache.keep(KEY, MODELS, new RolloutDriftMeter.Drift(fp, real, 3), List.of("predictor-w3a16"));
        assertEquals(1, cache.written());
        assertTrue(Files.isRegularFile(dir.resolve(KEY.fileName())));

        DriftCache again = DriftCache.open(dir, false);
        DriftCache.Entry e = again.lookup(KEY, Optional.of(MODELS), log).orElseThrow();
        assertArrayEquals(fp, e.drift().againstReference(), 0);
        assertArrayEquals(real, e.drift().againstReal(), 0);
        assertEquals(3, e.drift().segments());
        assertEquals(List.of("predictor-w3a16"), e.configurations());
        assertEquals(1, again.reused());
        assertTrue(again.lookup(KEY, Optional.empty(), log).isPresent(), "models not on this machine: the entry serves");
    }

    @Test
    void anotherKeyOrOtherModelsAreNotServed(@TempDir Path dir) throws Exception {
        DriftCache cache = DriftCache.open(dir, false);
        RolloutDriftMeter.Drift d = new RolloutDriftMeter.Drift(new double[]{1, 2, 3}, new double[]{4, 5, 6}, 3);
        cache.keep(KEY, MODELS, d, List.of("x"));
        String kept = Files.readString(dir.resolve(KEY.fileName()));

        DriftCache open = DriftCache.open(dir, false);
        assertTrue(open.lookup(new DriftCache.Key("wall", "e1", "p1", "e0", "p0", 4, 3, 7_531L), Optional.empty(), log).isEmpty(),
                "more segments: another measurement");
        assertTrue(open.lookup(new DriftCache.Key("wall", "e1", "p2", "e0", "p0", 3, 3, 7_531L), Optional.empty(), log).isEmpty(),
                "another predictor");
        DriftCache.Models otherRendering = new DriftCache.Models(MODELS.components(), 5, 224);
        assertTrue(open.lookup(KEY, Optional.of(otherRendering), log).isEmpty(), "the bundles here render segments otherwise");
        assertTrue(logged.toString(StandardCharsets.UTF_8).contains("measuring again"), logged.toString(StandardCharsets.UTF_8));

        // measured again without --remeasure-drift: the kept file stays as it was
        open.keep(KEY, otherRendering, new RolloutDriftMeter.Drift(new double[]{9, 9, 9}, new double[]{9, 9, 9}, 3), List.of("x"));
        assertEquals(kept, Files.readString(dir.resolve(KEY.fileName())));
        assertEquals(0, open.written());

        // with it, the entry is not used, and the new measurement replaces it
        DriftCache remeasure = DriftCache.open(dir, true);
        assertTrue(remeasure.lookup(KEY, Optional.of(MODELS), log).isEmpty());
        remeasure.keep(KEY, otherRendering, new RolloutDriftMeter.Drift(new double[]{9, 9, 9}, new double[]{8, 8, 8}, 3), List.of("x"));
        assertArrayEquals(new double[]{8, 8, 8}, DriftCache.open(dir, false).lookup(KEY, Optional.of(otherRendering), log)
                .orElseThrow().drift().againstReal(), 0);
    }

    @Test
    void aKeyWithoutShaIsNeitherKeptNorServed(@TempDir Path dir) {
        DriftCache.Key blank = new DriftCache.Key("wall", "", "p1", "e0", "p0", 3, 3, 7_531L);
        DriftCache cache = DriftCache.open(dir, false);
        cache.keep(blank, MODELS, new RolloutDriftMeter.Drift(new double[]{1, 2, 3}, new double[]{4, 5, 6}, 3), List.of("x"));
        assertEquals(0, cache.written());
        assertTrue(cache.lookup(blank, Optional.empty(), log).isEmpty());
    }

    @Test
    void aFileUnderAnotherKeysNameOrDamagedIsRefused(@TempDir Path dir) throws Exception {
        DriftCache cache = DriftCache.open(dir, false);
        cache.keep(KEY, MODELS, new RolloutDriftMeter.Drift(new double[]{1, 2, 3}, new double[]{4, 5, 6}, 3), List.of("x"));
        Path moved = dir.resolve("drift-0000000000000000.json");
        Files.move(dir.resolve(KEY.fileName()), moved);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DriftCache.open(dir, false));
        assertTrue(e.getMessage().contains("holds the key of"), e.getMessage());
        Files.writeString(moved, "{\"format\": \"qwm-drift-cache/1\", \"key\": ");
        e = assertThrows(IllegalArgumentException.class, () -> DriftCache.open(dir, false));
        assertTrue(e.getMessage().contains("cannot be read"), e.getMessage());
    }
}
