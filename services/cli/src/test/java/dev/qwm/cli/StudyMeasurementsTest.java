package dev.qwm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.analysis.data.ArtifactRecord;
import dev.qwm.analysis.data.ArtifactRef;
import dev.qwm.analysis.data.EpisodeRecord;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.analysis.data.Seeding;
import dev.qwm.analysis.data.StudyInfo;
import dev.qwm.analysis.data.StudySnapshot;
import dev.qwm.analysis.drift.RolloutDrift;
import dev.qwm.analysis.sensitivity.LayerSensitivity;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
class StudyMeasurementsTest {

    @Test
    void driftAndSensitivityComeFromTheStudysLocalBundles(@TempDir Path dir) throws Exception {
        Path fp = QuantizeCommandTest.randomWallBundle(dir.resolve("fp"));
        Path w3 = dir.resolve("w3");
        QuantizeCommandTest.run("quantize", "--bundle", fp.toString(), "--preset", "w3a16", "--modules", "predictor",
                "--out", w3.toString(),
                // output errors are measured on calibration data: a tiny calibration run
                "--measure", "--episodes", "1", "--quant-iter", "1", "--samples", "16", "--opt-steps", "2");
        StudySnapshot study = new StudySnapshot(new StudyInfo("s", "test", "{}", 6, 6, 0, 0), List.of(
                episode(0, "fp32", fp, fp), episode(1, "fp32", fp, fp),
                episode(2, "predictor-w3a16", fp, w3),
                episode(3, "elsewhere", dir.resolve("not-here"), fp)), Map.of(), List.of());

        List<StudyMeasurements.Configuration> configs = StudyMeasurements.configurations(study);
        assertEquals(List.of("fp32", "predictor-w3a16", "elsewhere"),
                configs.stream().map(StudyMeasurements.Configuration::label).toList());

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
        List<RolloutDrift> drift = StudyMeasurements.drift(configs, 4, 3, out);
        assertEquals(4, drift.size(), "fp and real curves of the two configurations that are here");
        RolloutDrift fpVsFp = find(drift, "fp32", RolloutDrift.Reference.FULL_PRECISION);
        RolloutDrift w3VsFp = find(drift, "predictor-w3a16", RolloutDrift.Reference.FULL_PRECISION);
        for (int h = 0; h < 3; h++) {
            assertEquals(0, fpVsFp.error()[h], 0, "the reference against itself");
            assertTrue(w3VsFp.error()[h] > 0, "3-bit weights change the rollout at step " + (h + 1));
        }
        assertTrue(find(drift, "fp32", RolloutDrift.Reference.REAL).error()[0] > 0);
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("skipping elsewhere"), log.toString(StandardCharsets.UTF_8));

        List<LayerSensitivity> layers = StudyMeasurements.sensitivity(study, configs, out);
        assertFalse(layers.isEmpty(), "the 3-bit bundle's manifest has per-layer errors");
        assertTrue(layers.stream().allMatch(l -> l.module().equals("predictor") && l.weightBits() == 3), layers.toString());

        // A bundle that is not on this machine: its manifest as the collector stored it with the artifact.
        String manifest = Files.readString(w3.resolve("model.json"));
        ArtifactRecord w3Predictor = new ArtifactRecord(new ArtifactRef(sha(w3, "predictor"), "predictor", "/elsewhere/w3",
                "w3"), null, 1, "{}", manifest);
        ArtifactRecord w3Encoder = new ArtifactRecord(new ArtifactRef(sha(w3, "visual_encoder"), "encoder",
                "/elsewhere/w3", "w3"), null, 1, "{}", manifest);
        List<EpisodeRecord> planned = List.of(recorded(0, "fp32", fp, fp, dir.resolve("gone/fp"), dir.resolve("gone/fp")),
                recorded(2, "predictor-w3a16", fp, w3, dir.resolve("gone/fp"), Path.of("/elsewhere/w3")));
        StudySnapshot remote = new StudySnapshot(study.study(), planned, Map.of(), List.of(w3Predictor, w3Encoder));
        assertEquals(layers, StudyMeasurements.sensitivity(remote, List.of(), out),
                "the stored manifest gives the same layers, once per bundle, without the bundle on this machine");
        assertEquals(layers, StudyMeasurements.sensitivity(remote, configs, out), "one measurement per layer and format");

        // The collector serves the artifacts of every study: another study's quantized models are not this one's.
        StudySnapshot other = new StudySnapshot(study.study(), List.of(recorded(0, "fp32", fp, fp,
                dir.resolve("gone/fp"), dir.resolve("gone/fp"))), Map.of(), List.of(w3Predictor, w3Encoder));
        assertTrue(StudyMeasurements.sensitivity(other, List.of(), out).isEmpty(),
                "a study that never planned with the 3-bit bundle shows none of its layers");
    }

    @Test
    void cachedDriftIsTheRecomputedDrift(@TempDir Path dir) throws Exception {
        Path fp = QuantizeCommandTest.randomWallBundle(dir.resolve("fp"));
        Path w3 = dir.resolve("w3");
        QuantizeCommandTest.run("quantize", "--bundle", fp.toString(), "--preset", "w3a16", "--modules", "predictor",
                "--out", w3.toString());
        StudySnapshot study = new StudySnapshot(new StudyInfo("s", "test", "{}", 4, 4, 0, 0), List.of(
                recorded(0, "fp32@iter10", fp, fp), recorded(1, "predictor-w3a16", fp, w3),
                recorded(2, "fp32@iter50", fp, fp)), Map.of(), List.of());
        List<StudyMeasurements.Configuration> configs = StudyMeasurements.configurations(study);
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

        List<RolloutDrift> measured = StudyMeasurements.drift(configs, 4, 3, out);
        assertEquals(6, measured.size());
        assertTrue(find(measured, "predictor-w3a16", RolloutDrift.Reference.FULL_PRECISION).finalError() > 0);

        Path cacheDir = dir.resolve("log").resolve("drift");
        DriftCache first = DriftCache.open(cacheDir, false);
        assertSame(measured, StudyMeasurements.drift(configs, 4, 3, first, Set.of(), out), "measured into the cache");
        assertEquals(List.of(0, 2), List.of(first.reused(), first.written()), "one file per pair of models: fp and w3");

        DriftCache second = DriftCache.open(cacheDir, false);
        assertSame(measured, StudyMeasurements.drift(configs, 4, 3, second, Set.of(), out), "read from the cache");
        assertEquals(List.of(2, 0), List.of(second.reused(), second.written()), "nothing measured again");

        // another machine: the bundles are not there; the collector's originals name the reference
        StudySnapshot elsewhere = new StudySnapshot(study.study(), List.of(
                recorded(0, "fp32@iter10", fp, fp, dir.resolve("gone/fp"), dir.resolve("gone/fp")),
                recorded(1, "predictor-w3a16", fp, w3, dir.resolve("gone/fp"), dir.resolve("gone/w3")),
                recorded(2, "fp32@iter50", fp, fp, dir.resolve("gone/fp"), dir.resolve("gone/fp"))), Map.of(), List.of(
                original(fp, "visual_encoder", "encoder"), original(fp, "predictor", "predictor")));
        List<StudyMeasurements.Configuration> away = StudyMeasurements.configurations(elsewhere);
        assertTrue(StudyMeasurements.drift(away, 4, 3, out).isEmpty(), "nothing to measure without the bundles");
        assertSame(measured, StudyMeasurements.drift(away, 4, 3, DriftCache.open(cacheDir, false),
                StudyMeasurements.originals(elsewhere), out), "the same numbers from the cache alone");

        // other segments are another measurement
        DriftCache other = DriftCache.open(cacheDir, false);
        StudyMeasurements.drift(configs, 5, 3, other, Set.of(), out);
        assertEquals(List.of(0, 2), List.of(other.reused(), other.written()));
    }

    /** The same curves, value for value (not within a tolerance). */
    private static void assertSame(List<RolloutDrift> expected, List<RolloutDrift> actual, String what) {
        assertEquals(expected.size(), actual.size(), what);
        for (int i = 0; i < expected.size(); i++) {
            RolloutDrift e = expected.get(i);
            RolloutDrift a = actual.get(i);
            assertEquals(List.of(e.environment(), e.configuration(), e.reference(), e.segments()),
                    List.of(a.environment(), a.configuration(), a.reference(), a.segments()), what);
            assertArrayEquals(e.error(), a.error(), 0, what + ": " + e.configuration() + " " + e.reference());
        }
    }

    private static String sha(Path bundle, String component) {
        return dev.qwm.onnx.bundle.ModelBundle.read(bundle).manifest().components().get(component).sha256();
    }

    private static EpisodeRecord recorded(int index, String label, Path encoder, Path predictor) {
        return recorded(index, label, encoder, predictor, encoder, predictor);
    }

    /** An episode of the models in {@code encoder} and {@code predictor}, recorded as planned from {@code at*}. */
    private static EpisodeRecord recorded(int index, String label, Path encoder, Path predictor, Path atEncoder,
                                          Path atPredictor) {
        return new EpisodeRecord(index, "wall", new ArtifactRef(sha(encoder, "visual_encoder"), "encoder",
                atEncoder.toString(), label), new ArtifactRef(sha(predictor, "predictor"), "predictor",
                atPredictor.toString(), label), new PlannerBudget(5, 300, 30, 1, 10, 5, 1, 5),
                new Seeding(1, 1, 99, "validation"), label, false, -1, 1, 1, 1, 1, 1, "a", "w");
    }

    private static ArtifactRecord original(Path bundle, String component, String kind) {
        return new ArtifactRecord(new ArtifactRef(sha(bundle, component), kind, "/elsewhere/fp", "fp"), null, 1, "");
    }

    private static RolloutDrift find(List<RolloutDrift> curves, String label, RolloutDrift.Reference ref) {
        return curves.stream().filter(c -> c.configuration().equals(label) && c.reference() == ref).findFirst().orElseThrow();
    }

    private static EpisodeRecord episode(int index, String label, Path encoder, Path predictor) {
        return new EpisodeRecord(index, "wall", new ArtifactRef("", "encoder", encoder.toString(), label),
                new ArtifactRef("", "predictor", predictor.toString(), label), new PlannerBudget(5, 300, 30, 1, 10, 5, 1, 5),
                new Seeding(1, 1, 99, "validation"), label, false, -1, 1, 1, 1, 1, 1, "a", "w");
    }
}
