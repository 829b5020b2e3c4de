package dev.qwm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.training.export.ModelWeights;
import dev.qwm.training.export.OnnxExporter;
import dev.qwm.training.model.Normalization;
import dev.qwm.training.model.WorldModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantizeCommandTest {

    /** A Wall bundle with the shipped small architecture and random weights. */
    static Path randomWallBundle(Path dir) {
        WorldModelConfig c = WorldModelConfig.small(2, 1);
        ModelWeights w = ModelWeights.random(c, Normalization.identity(2, c.actionDim()), 1);
        double[] ones = new double[c.actionDim()];
        Arrays.fill(ones, 1);
        BundleManifest m = new BundleManifest(BundleManifest.FORMAT, "random-wall", "wall", c.imageSize(), c.patchSize(),
                c.numPatches(), c.latentDim(), 2, c.proprioEmbDim(), c.actionDim(), c.actionEmbDim(), c.numHist(),
                c.frameskip(), new double[c.actionDim()], ones, new double[2], new double[]{1, 1}, Map.of(), null);
        ModelBundle.Writer writer = ModelBundle.writer(m);
        OnnxExporter.exportAll(w).forEach(writer::component);
        writer.write(dir);
        return dir;
    }

    static String run(String... args) {
        PrintStream stdout = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, QwmCommand.commandLine().execute(args), String.join(" ", args));
        } finally {
            System.setOut(stdout);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void presetQuantizesThePredictorIntoANewBundle(@TempDir Path dir) throws Exception {
        Path fp = randomWallBundle(dir.resolve("fp"));
        String json = run("quantize", "--bundle", fp.toString(), "--preset", "w4a16-g128", "--modules", "predictor",
                "--out", dir.resolve("q").toString(), "--json");
        JsonNode manifest = new ObjectMapper().readTree(json);
        assertEquals("qwm-quantization/1", manifest.get("format").asText());
        JsonNode predictor = manifest.get("modules").get(0);
        assertEquals("predictor", predictor.get("module").asText());
        assertTrue(predictor.get("weightBytesAfter").asLong() <= 0.2 * predictor.get("weightBytesBefore").asLong());
        ModelBundle q = ModelBundle.read(dir.resolve("q"));
        assertEquals(ModelBundle.read(fp).manifest().components().get("visual_encoder").sha256(),
                q.manifest().components().get("visual_encoder").sha256());

        String table = run("quantize", "--bundle", fp.toString(), "--preset", "w8a8", "--method", "smoothquant",
                "--episodes", "1", "--quant-iter", "1", "--samples", "20", "--opt-steps", "2",
                "--out", dir.resolve("q8").toString());
        assertTrue(table.contains("MatMulIntegerToFloat"), table);
        assertTrue(table.contains("smoothquant on block0/attn/LayerNormalization"), table);
    }

    @Test
    void impossibleRecipesAreRefusedNamingTheProblem(@TempDir Path dir) {
        Path fp = randomWallBundle(dir.resolve("fp"));
        StringWriter err = new StringWriter();
        var cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute("quantize", "--bundle", fp.toString(), "--preset", "w5a16", "--out", dir.resolve("x").toString()));
        assertTrue(err.toString().contains("unknown preset 'w5a16'"), err.toString());
    }
}
