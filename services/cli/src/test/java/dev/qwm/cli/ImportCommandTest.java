package dev.qwm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DINO-WM's architecture through qwm without Python: models/dinowm-small (export_dinowm.py --small, DINO-WM's own
 * classes exported by torch 1.13) is imported with its references checked, plans an episode, and quantizes.
 */
class ImportCommandTest {

    static final Path SMALL = Path.of("../../models/dinowm-small").toAbsolutePath().normalize();

    @Tag("slow")
    @Test
    void theSmallDinoWmExportImportsPlansAndQuantizes(@TempDir Path dir) throws Exception {
        Path bundle = dir.resolve("dinowm-small");
        String imported = QuantizeCommandTest.run("import", "dinowm", "--onnx", SMALL.toString(), "--env", "wall",
                "--stats", SMALL.resolve("stats.json").toString(), "--reference", SMALL.toString(),
                "--out", bundle.toString());
        assertTrue(imported.contains("reference predictor"), imported);
        BundleManifest m = ModelBundle.read(bundle).manifest();
        assertEquals("dinowm-wall", m.name());
        assertEquals(2, m.numHist());
        // trained on DINO-WM's frames: eval and the quantizer's calibration below plan on them, or the episode
        // runner refuses (a model is never shown frames of another style)
        assertEquals("dinowm", m.frameStyle());

        // one episode at a tiny budget, planned in process on the imported graphs
        JsonNode eval = new ObjectMapper().readTree(QuantizeCommandTest.run("eval", "--bundle", bundle.toString(),
                "--episodes", "1", "--max-iter", "2", "--opt-steps", "2", "--samples", "32", "--json"));
        assertEquals(1, eval.get("episodes").asInt());
        assertTrue(eval.get("ms_per_cem_step").asDouble() > 0);

        // both modules, int8 weights and activations, calibrated on a planning episode
        Path q = dir.resolve("dinowm-small-w8a8");
        QuantizeCommandTest.run("quantize", "--bundle", bundle.toString(), "--preset", "w8a8", "--modules", "both",
                "--episodes", "1", "--quant-iter", "1", "--opt-steps", "2", "--samples", "32", "--out", q.toString());
        ModelBundle qb = ModelBundle.read(q);
        ModelBundle fp = ModelBundle.read(bundle);
        assertEquals("dinowm", qb.manifest().frameStyle());
        for (String c : new String[]{BundleManifest.VISUAL_ENCODER, BundleManifest.PREDICTOR}) {
            assertNotEquals(fp.manifest().components().get(c).sha256(), qb.manifest().components().get(c).sha256(), c);
            assertTrue(qb.manifest().components().get(c).bytes() < fp.manifest().components().get(c).bytes(), c);
        }

        // SmoothQuant folds into every LayerNorm that feeds linear layers, although torch.onnx.export shares the
        // freshly initialised γ and β between them through Identity nodes: it must not fall back to plain RTN
        Path sq = dir.resolve("dinowm-small-w8a8-smoothquant");
        QuantizeCommandTest.run("quantize", "--bundle", bundle.toString(), "--preset", "w8a8", "--method", "smoothquant",
                "--modules", "both", "--episodes", "1", "--quant-iter", "1", "--opt-steps", "2", "--samples", "32",
                "--out", sq.toString());
        JsonNode report = new ObjectMapper().readTree(sq.resolve("quantization.json").toFile());
        for (JsonNode module : report.get("modules")) {
            JsonNode groups = module.get("groups");
            assertTrue(groups.size() >= 2, module.get("module") + ": " + groups);
            for (JsonNode g : groups) {
                assertTrue(g.get("applied").asBoolean(), module.get("module") + ": " + g);
            }
        }
        ModelBundle sqb = ModelBundle.read(sq);
        for (String c : new String[]{BundleManifest.VISUAL_ENCODER, BundleManifest.PREDICTOR}) {
            assertNotEquals(qb.manifest().components().get(c).sha256(), sqb.manifest().components().get(c).sha256(), c);
        }
    }

    @Test
    void anExistingBundleIsNotReplacedWithoutForceAndBadInputIsNamed(@TempDir Path dir) throws Exception {
        Path bundle = dir.resolve("b");
        String[] args = {"import", "dinowm", "--onnx", SMALL.toString(), "--env", "wall",
                "--stats", SMALL.resolve("stats.json").toString(), "--out", bundle.toString()};
        QuantizeCommandTest.run(args);
        String before = Files.readString(bundle.resolve("model.json"));

        StringWriter err = new StringWriter();
        var cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute(args));
        assertTrue(err.toString().contains("--force"), err.toString());
        assertEquals(before, Files.readString(bundle.resolve("model.json")));

        Path missing = dir.resolve("nothing-here");
        err.getBuffer().setLength(0);
        assertEquals(1, cli.execute("import", "dinowm", "--onnx", SMALL.toString(), "--env", "wall",
                "--stats", missing.toString(), "--out", dir.resolve("c").toString()));
        assertTrue(err.toString().contains("--stats " + missing + ": no such file"), err.toString());
        assertTrue(Files.notExists(dir.resolve("c")));

        // the small export is a Wall model (2-D proprio); PushT's proprio is 4-D
        Path stats4 = dir.resolve("stats4.json");
        Files.writeString(stats4, Files.readString(SMALL.resolve("stats.json")));
        err.getBuffer().setLength(0);
        assertEquals(1, cli.execute("import", "dinowm", "--onnx", SMALL.toString(), "--env", "pusht",
                "--stats", stats4.toString(), "--out", dir.resolve("d").toString()));
        assertTrue(err.toString().contains("--env pusht has 4-D proprio") && err.toString().contains("take 2-D proprio"),
                err.toString());
        assertTrue(Files.notExists(dir.resolve("d")));
    }
}
