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
    void theModulesOfARecipeFileAreWhatItQuantizesAsTheReportSaysAndTheStudyStaysTheSameStudy() throws Exception {
        StudySpec spec = StudySpec.read(Path.of("../../docs/studies/quantwm-wall.yaml"));
        StudySpec.RecipeEntry patchEmbed = spec.recipes().stream()
                .filter(r -> r.name().equals("encoder-w4a16-patch-embed")).findFirst().orElseThrow();
        // a recipe file without modules: that names the encoder alone quantizes the encoder alone
        assertEquals("encoder", patchEmbed.modulesLabel());
        // its bundle still provides both components, as when the committed log was planned
        assertTrue(patchEmbed.quantizesEncoder() && patchEmbed.quantizesPredictor());
        for (StudySpec.RecipeEntry r : spec.recipes()) {
            if (r.isFullPrecision()) {
                assertEquals("-", r.modulesLabel());
                continue;
            }
            // the report reads each module's quantization from the artifact's recipe: the same answer
            String json = dev.qwm.quant.recipe.RecipeIo.toJson(r.preset() != null ? r.presetRecipe()
                    : dev.qwm.quant.recipe.RecipeIo.read(Path.of(r.recipe())));
            boolean e = dev.qwm.analysis.config.ConfigurationDescriptor.moduleFromRecipeJson(json,
                    dev.qwm.quant.recipe.WorldModelModule.ENCODER).isQuantized();
            boolean p = dev.qwm.analysis.config.ConfigurationDescriptor.moduleFromRecipeJson(json,
                    dev.qwm.quant.recipe.WorldModelModule.PREDICTOR).isQuantized();
            assertEquals(e && p ? "both" : e ? "encoder" : "predictor", r.modulesLabel(), r.name());
            if (r.modules() != null) {
                assertEquals(r.modules(), r.modulesLabel(), r.name());
            }
        }
        // the committed log was planned under this fingerprint: a resumed study is not refused
        String committed = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(Path.of("../../docs/evals/quantwm-wall/study.json").toFile()).path("fingerprint").asText();
        assertEquals(committed, StudyRunner.fingerprint(spec));
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

    @Test
    void theQuantWmSpecsReadAndTheirCellsArePairedOnePerRecipeAndBudget() {
        StudySpec wall = StudySpec.read(Path.of("../../docs/studies/quantwm-wall.yaml"));
        assertEquals(45, wall.cells().size());
        assertEquals("fp32@iter10-opt10", wall.cells().get(0).label());
        assertEquals(50, wall.cells().get(1).budget().maxIter());
        StudySpec.Cell null_ = wall.cells().stream().filter(c -> c.label().equals("fp32-seed1")).findFirst().orElseThrow();
        assertEquals(1L, null_.plannerSeed(), "full precision again under another planner seed");
        assertEquals(0L, wall.cells().get(0).plannerSeed());
        for (StudySpec.Cell c : wall.cells()) {
            assertEquals(300, c.budget().samples(), c.label());
            assertEquals(10, c.budget().optSteps(), "DINO-WM's Wall CEM budget: " + c.label());
        }
        assertTrue(wall.log().endsWith("docs/evals/quantwm-wall"), wall.log());
        StudySpec pusht = StudySpec.read(Path.of("../../docs/studies/quantwm-pusht.yaml"));
        assertTrue(pusht.cells().stream().allMatch(c -> c.budget().optSteps() == 30), "DINO-WM's PushT CEM budget");
        assertEquals(30, pusht.episodes());
    }

    @Test
    void aRecipeWithTokenActivationsOrAMethodVariantIsSentAsTheLibrarysRecipe() throws Exception {
        Path models = Path.of("../../models").toAbsolutePath().normalize();
        Path file = write("name: x\nenvironment: wall\nbundle: " + models.resolve("wall") + "\nepisodes: 2\nrecipes:\n"
                + "  - {name: a, preset: w8a8, activations: token}\n"
                + "  - {name: b, preset: w4a8, method: omniquant-quantwm}\n  - {name: c, preset: w4a16, method: awq}\n");
        StudySpec spec = StudySpec.read(file);
        StudySpec.RecipeEntry token = spec.recipes().get(0);
        assertTrue(!token.plainPreset());
        assertTrue(token.presetRecipe().modules().values().stream()
                .allMatch(m -> m.activations().granularity() == dev.qwm.quant.recipe.ActivationSpec.Granularity.TOKEN));
        assertTrue(!spec.recipes().get(1).plainPreset());
        assertTrue(spec.recipes().get(2).plainPreset());
        Path bad = write("name: x\nenvironment: wall\nbundle: " + models.resolve("wall") + "\nepisodes: 2\nrecipes:\n"
                + "  - {name: a, activations: token}\n  - {name: b, preset: w8a8, activations: sometimes}\n"
                + "  - {name: c, preset: w8a8, budgets: []}\n");
        String message = assertThrows(IllegalArgumentException.class, () -> StudySpec.read(bad)).getMessage();
        assertTrue(message.contains("recipes[0]: modules/method/activations without a preset or recipe"), message);
        assertTrue(message.contains("recipes[1]: unknown activation granularity 'sometimes'"), message);
        assertTrue(message.contains("recipes[2]: budgets is empty"), message);
    }

    @Test
    void theFingerprintIsTheGridNotThePathsOrTheComments() throws Exception {
        Path models = Path.of("../../models").toAbsolutePath().normalize();
        String yaml = "name: x\nenvironment: wall\nbundle: " + models.resolve("wall") + "\nepisodes: 2\n"
                + "recipes:\n  - {name: fp32}\n  - {name: q, preset: w4a16, modules: predictor}\n";
        String a = StudyRunner.fingerprint(StudySpec.read(write(yaml)));
        assertEquals(a, StudyRunner.fingerprint(StudySpec.read(write("# a comment\n" + yaml + "log: elsewhere\n"))));
        assertTrue(!a.equals(StudyRunner.fingerprint(StudySpec.read(write(yaml.replace("w4a16", "w3a16"))))));
        assertTrue(!a.equals(StudyRunner.fingerprint(StudySpec.read(write(yaml.replace("episodes: 2", "episodes: 3"))))));
        assertTrue(!a.equals(StudyRunner.fingerprint(StudySpec.read(write(yaml.replace("{name: fp32}",
                "{name: fp32, planner_seed: 4}"))))));
        assertEquals("my-study-1", StudyRunner.studyId(StudySpec.read(write(yaml.replace("name: x", "name: my study/1")))));
    }

    private Path write(String yaml) throws Exception {
        Path file = dir.resolve("study.yaml");
        Files.writeString(file, yaml);
        return file;
    }
}
