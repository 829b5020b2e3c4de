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

    @Test
    void everyFieldTheStackWouldRefuseLateIsRefusedBeforeItStarts() throws Exception {
        Path models = Path.of("../../models").toAbsolutePath().normalize();
        Path file = write("name: x\nenvironment: wall\nbundle: " + models.resolve("pusht") + "\nepisodes: 20000\n"
                + "seeds: {base: -99, offset: 1}\nrecipes:\n  - {name: fp32}\n  - {name: q, preset: w5a16, modules: predictor}\n"
                + "  - {name: r, recipe: no-such-recipe.yaml}\n  - {name: s, preset: w8a8, quant_iter: 1000}\n");
        String message = assertThrows(IllegalArgumentException.class, () -> StudySpec.read(file)).getMessage();
        for (String named : new String[] {"bundle " + models.resolve("pusht") + " is a pusht model, the study is wall",
                "episodes (per configuration) must be 1..10000, got 20000", "seeds.base and seeds.offset must not be negative",
                "recipes[1]: unknown preset 'w5a16'", "recipes[2]: ", "no-such-recipe.yaml",
                "recipes[3]: quant_iter must be 1..50, got 1000"}) {
            assertTrue(message.contains(named), named + " in: " + message);
        }
        Path missing = write("name: x\nenvironment: wall\nbundle: nowhere/wall\nepisodes: 2\nrecipes:\n  - {name: fp32}\n");
        message = assertThrows(IllegalArgumentException.class, () -> StudySpec.read(missing)).getMessage();
        assertTrue(message.contains("bundle nowhere/wall is not a model bundle"), message);
        assertEquals("x", StudySpec.read(missing, false).name(), "a remote stack's bundle path is checked there");

        Path tooMany = write("name: x\nenvironment: wall\nbundle: " + models.resolve("wall") + "\nepisodes: 10000\n"
                + "budgets: [{max_iter: 5}, {max_iter: 10}]\nrecipes:\n"
                + "  - {name: a}\n  - {name: b, preset: w8a16}\n  - {name: c, preset: w4a16}\n  - {name: d, preset: w3a16}\n"
                + "  - {name: e, preset: w6a16}\n  - {name: f, preset: w8a8}\n");
        message = assertThrows(IllegalArgumentException.class, () -> StudySpec.read(tooMany)).getMessage();
        assertTrue(message.contains("12 configurations x 10000 episodes = 120000 episodes; a study has at most 100000"), message);
    }

    private Path write(String yaml) throws Exception {
        Path file = dir.resolve("study.yaml");
        Files.writeString(file, yaml);
        return file;
    }
}
