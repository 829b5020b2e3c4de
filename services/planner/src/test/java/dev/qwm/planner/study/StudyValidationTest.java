package dev.qwm.planner.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.api.common.v1.DataSplit;
import dev.qwm.api.common.v1.EnvironmentId;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checks a study passes before anything is published, on the shipped bundles. */
class StudyValidationTest {

    static final Path WALL = Path.of("../../models/wall").toAbsolutePath().normalize();
    static final Path PUSHT = Path.of("../../models/pusht").toAbsolutePath().normalize();
    static final StudyRequest.Budget BUDGET = new StudyRequest.Budget(5, 300, 30, 1.0, 10, 50, 1.0, 5);

    static StudyRequest.Configuration configuration(String label, Path encoder, Path predictor, StudyRequest.Budget b) {
        return new StudyRequest.Configuration(label, new StudyRequest.Artifact(encoder.toString(), null, null),
                new StudyRequest.Artifact(predictor.toString(), null, null), b);
    }

    static StudyRequest study(String environment, int episodes, List<StudyRequest.Configuration> configurations) {
        return new StudyRequest("s-1", "wall study", environment, episodes, null, null, null, null, null, null,
                configurations);
    }

    @Test
    void aValidStudyGetsDinoWmSeedingByDefaultAndItsArtifactsByHash() {
        ValidStudy s = StudyValidation.validate(study("wall", 3, List.of(configuration("fp", WALL, WALL, BUDGET))));
        assertEquals("s-1", s.studyId());
        assertEquals(EnvironmentId.ENVIRONMENT_ID_WALL, s.environment());
        assertEquals(99, s.seedBase());
        assertEquals(1, s.seedOffset());
        assertEquals(DataSplit.DATA_SPLIT_VALIDATION, s.split());
        assertTrue(s.evaluateCemSteps());
        ValidStudy.Configuration c = s.configurations().get(0);
        BundleManifest m = ModelBundle.parseManifest(WALL.resolve(ModelBundle.MANIFEST_FILE));
        assertEquals(m.components().get(BundleManifest.VISUAL_ENCODER).sha256(), c.encoder().getSha256());
        assertEquals(m.components().get(BundleManifest.PREDICTOR).sha256(), c.predictor().getSha256());
        assertEquals(ModelComponent.MODEL_COMPONENT_PREDICTOR, c.predictor().getComponent());
        assertEquals(m.name(), c.encoder().getLabel(), "the bundle's name when the study gives no label");
        assertEquals(WALL.toString(), c.encoder().getBundle());
        assertEquals(300, c.budget().getSamples());
    }

    @Test
    void aStudyWithoutIdIsNamedAfterItsNameAndTime() {
        StudyRequest r = new StudyRequest(null, "my study/1", "wall", 1, null, null, null, null, null, null,
                List.of(configuration("fp", WALL, WALL, BUDGET)));
        String id = StudyValidation.validate(r).studyId();
        assertTrue(id.matches("my-study-1-\\d{8}-\\d{6}-[0-9a-f]{4}"), id);
    }

    @Test
    void eachProblemIsRefusedByName() {
        assertRefused("the study needs a name", new StudyRequest(null, " ", "wall", 1, null, null, null, null, null,
                null, List.of(configuration("fp", WALL, WALL, BUDGET))));
        assertRefused("environment must be wall or pusht, got 'maze'", study("maze", 1,
                List.of(configuration("fp", WALL, WALL, BUDGET))));
        assertRefused("episodes per configuration must be 1..10000, got 0", study("wall", 0,
                List.of(configuration("fp", WALL, WALL, BUDGET))));
        assertRefused("the study has no configurations", study("wall", 1, List.of()));
        assertRefused("seed_base and seed_offset must not be negative, got -99 and 1", new StudyRequest("s-1", "w", "wall",
                2, -99L, 1L, null, null, null, null, List.of(configuration("fp", WALL, WALL, BUDGET))));
        assertRefused("the last episode's seed 4294967295*1+1 is above 2^32 - 1", new StudyRequest("s-1", "w", "wall",
                2, 4294967295L, 1L, null, null, null, null, List.of(configuration("fp", WALL, WALL, BUDGET))));
        assertRefused("two configurations are labelled 'fp'", study("wall", 1,
                List.of(configuration("fp", WALL, WALL, BUDGET), configuration("fp", WALL, WALL, BUDGET))));
        assertRefused("configuration 1 (pt): encoder bundle", study("wall", 1,
                List.of(configuration("pt", PUSHT, WALL, BUDGET))));
        assertRefused("configuration 1 (fp): budget: topK (30) cannot exceed samples (20)", study("wall", 1,
                List.of(configuration("fp", WALL, WALL, new StudyRequest.Budget(5, 20, 30, 1.0, 10, 50, 1.0, 5)))));
        assertRefused("configuration 1 (fp) has no budget", study("wall", 1,
                List.of(configuration("fp", WALL, WALL, null))));
        assertRefused("configuration 1 (fp): predictor:", study("wall", 1,
                List.of(configuration("fp", WALL, WALL.resolve("missing"), BUDGET))));
        StudyRequest.Configuration wrongHash = new StudyRequest.Configuration("fp",
                new StudyRequest.Artifact(WALL.toString(), "0".repeat(64), null),
                new StudyRequest.Artifact(WALL.toString(), null, null), BUDGET);
        assertRefused("not the requested " + "0".repeat(64), study("wall", 1, List.of(wrongHash)));
        assertRefused("split must be validation or train, got 'test'", new StudyRequest("s", "n", "wall", 1, null,
                null, "test", null, null, null, List.of(configuration("fp", WALL, WALL, BUDGET))));
        assertRefused("empty study", null);
    }

    private static void assertRefused(String expected, StudyRequest request) {
        InvalidStudyException e = assertThrows(InvalidStudyException.class, () -> StudyValidation.validate(request));
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }
}
