package dev.qwm.cli.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudySpecTest {

    @TempDir
    Path dir;

    @Test
    void theDemoSpecReadsWithDefaultsFilledIn() {
        Path demo = Path.of("../../docs/studies/demo-wall.yaml");
        StudySpec spec = StudySpec.read(demo);
        assertEquals("wall", spec.environment());
        assertEquals(5, spec.recipes().size());
        assertEquals(99L, spec.seeds().base());
        assertTrue(spec.bundle().endsWith("models/wall"), spec.bundle());
        StudySpec.RecipeEntry encoder = spec.recipes().get(4);
        assertTrue(encoder.quantizesEncoder() && !encoder.quantizesPredictor(), "encoder-only recipe");
        assertEquals(5, spec.budgets().get(0).resolve("wall").optSteps());
    }

    @Test
    void aTypoIsNamedWithItsPlaceAndTheKnownFields() throws Exception {
        Path file = write("name: x\nenvironment: wall\nbundle: b\nepisodes: 2\nrecipes:\n  - {name: fp32, modlues: encoder}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StudySpec.read(file));
        assertTrue(e.getMessage().contains("unknown field 'modlues'"), e.getMessage());
        assertTrue(e.getMessage().contains("recipes[0]"), e.getMessage());
        assertTrue(e.getMessage().contains("modules"), e.getMessage());
    }

    @Test
    void impossibleValuesAreAllReportedAtOnce() throws Exception {
        Path file = write("name: x\nenvironment: walls\nbundle: b\nepisodes: 0\n"
                + "budgets: [{top_k: 500}]\nrecipes:\n  - {name: a, preset: w4a16, modules: decoder}\n  - {name: a}\n");
        String message = assertThrows(IllegalArgumentException.class, () -> StudySpec.read(file)).getMessage();
        assertTrue(message.contains("environment must be wall or pusht, got 'walls'"), message);
        assertTrue(message.contains("episodes"), message);
        assertTrue(message.contains("modules must be encoder, predictor or both, got 'decoder'"), message);
        assertTrue(message.contains("the name 'a' is used twice"), message);
    }

    private Path write(String yaml) throws Exception {
        Path file = dir.resolve("study.yaml");
        Files.writeString(file, yaml);
        return file;
    }
}
