package dev.qwm.quantizer.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.quant.emit.EmitOptions;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quantizer.SourceBundles;
import dev.qwm.quantizer.store.ArtifactStore;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubmissionChecksTest {

    private static final SubmissionChecks DEFAULTS =
            new SubmissionChecks(EmitOptions.DEFAULTS, Optional.empty(), Optional.empty(), Map.of());

    @Test
    void aSourceThatCannotBeReadIsRefusedByName(@TempDir Path tmp) {
        assertTrue(assertThrows(InvalidSubmissionException.class, () -> DEFAULTS.readSource(" "))
                .getMessage().contains("no source bundle"));
        InvalidSubmissionException missing = assertThrows(InvalidSubmissionException.class,
                () -> DEFAULTS.readSource(tmp.resolve("nothing-here").toString()));
        assertEquals("source bundle " + tmp.resolve("nothing-here") + ": not found or not allowed", missing.getMessage());
    }

    @Test
    void aSourceOutsideTheBundleRootsIsRefusedLikeAMissingOne(@TempDir Path tmp) throws Exception {
        Path store = java.nio.file.Files.createDirectories(tmp.resolve("store"));
        ModelBundle inside = SourceBundles.wall(store.resolve("fp"), 1);
        ModelBundle outside = SourceBundles.wall(tmp.resolve("home/fp"), 1);
        String before = System.getProperty("qwm.bundle-roots");
        SubmissionChecks confined;
        try {
            System.setProperty("qwm.bundle-roots", store.toString());
            confined = new SubmissionChecks(EmitOptions.DEFAULTS, Optional.empty(), Optional.empty(), Map.of());
        } finally {
            System.setProperty("qwm.bundle-roots", before == null ? "*" : before);
        }
        assertEquals(inside.manifest(), confined.readSource(inside.directory().toString()).manifest());
        InvalidSubmissionException e = assertThrows(InvalidSubmissionException.class,
                () -> confined.readSource(outside.directory().toString()));
        assertEquals("source bundle " + outside.directory() + ": not found or not allowed", e.getMessage());
        Path link = java.nio.file.Files.createSymbolicLink(store.resolve("link"), outside.directory());
        e = assertThrows(InvalidSubmissionException.class, () -> confined.readSource(link.toString()));
        assertEquals("source bundle " + link + ": not found or not allowed", e.getMessage());
    }

    @Test
    void weightOnlyRecipesCalibrateOnlyWhenAskedAndTheKeyCoversTheBudget(@TempDir Path tmp) {
        ModelBundle source = SourceBundles.wall(tmp.resolve("fp"), 1);
        Recipe w4 = Presets.recipe("w4a16-g128", "predictor");

        Submission plain = DEFAULTS.check(DEFAULTS.readSource(source.directory().toString()), w4, false);
        assertNull(plain.calibrationBudget(), "RTN weight-only needs no calibration episodes");
        assertEquals(SubmissionChecks.shas(source), plain.sourceShas());
        assertTrue(ArtifactStore.validId(plain.id()), plain.id());
        assertEquals(plain.id(), DEFAULTS.check(source, w4, false).id(), "the key is a function of the content");

        Submission calibrated = DEFAULTS.check(source, w4, true);
        assertEquals(PlannerBudget.dinoWm("wall"), calibrated.calibrationBudget());
        assertNotEquals(plain.id(), calibrated.id(), "calibrating changes what is stored, so the key");

        SubmissionChecks fewer = new SubmissionChecks(EmitOptions.DEFAULTS, Optional.of(20), Optional.of(3), Map.of());
        PlannerBudget b = fewer.check(source, w4, true).calibrationBudget();
        assertEquals(20, b.samples());
        assertEquals(20, b.topK(), "top-k follows samples down");
        assertEquals(3, b.optSteps());
        assertNotEquals(calibrated.id(), fewer.check(source, w4, true).id());

        SubmissionChecks otherKernels = new SubmissionChecks(EmitOptions.DEFAULTS.withInt8Flavor(EmitOptions.Int8Flavor.U8U8), Optional.empty(),
                Optional.empty(), Map.of());
        assertNotEquals(plain.id(), otherKernels.check(source, w4, false).id(), "emit options are part of the key");
    }

    @Test
    void activationQuantizationAlwaysCalibrates(@TempDir Path tmp) {
        ModelBundle source = SourceBundles.wall(tmp.resolve("fp"), 2);
        Submission w8a8 = DEFAULTS.check(source, Presets.recipe("w8a8", "predictor"), false);
        assertEquals(PlannerBudget.dinoWm("wall"), w8a8.calibrationBudget());
        assertNull(w8a8.dataset(), "Wall's goals come from the simulator, not a dataset");
    }

    @Test
    void anImpossibleCalibrationOverrideIsAConfigurationError(@TempDir Path tmp) {
        SubmissionChecks none = new SubmissionChecks(EmitOptions.DEFAULTS, Optional.of(0), Optional.empty(), Map.of());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> none.calibrationBudget("wall"));
        assertTrue(e.getMessage().startsWith("quantizer.calibration.*"), e.getMessage());
    }
}
