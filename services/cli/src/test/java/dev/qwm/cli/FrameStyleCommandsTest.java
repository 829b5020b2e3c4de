package dev.qwm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.env.dataset.DatasetReader;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.training.export.ModelWeights;
import dev.qwm.training.export.OnnxExporter;
import dev.qwm.training.model.Normalization;
import dev.qwm.training.model.WorldModelConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PushT bundle declaring DINO-WM's frames, as {@code ./qwm import dinowm} writes them, planned by every command that
 * plans. Each would fail if it made its environments without the bundle's style: the episode runner refuses to show a
 * model frames of another style.
 */
class FrameStyleCommandsTest {

    @TempDir
    static Path tmp;
    static Path dataset;
    static Path dinowm;

    @BeforeAll
    static void pushTDatasetAndBundle() {
        dataset = tmp.resolve("pusht-data");
        QuantizeCommandTest.run("dataset", "--env", "pusht", "--episodes", "4", "--steps", "30", "--image-size", "16",
                "--val-fraction", "0.5", "--threads", "1", "--out", dataset.toString());
        dinowm = randomPushTBundle(tmp.resolve("pusht-dinowm"), "dinowm");
    }

    /** A random PushT model of the shipped shape, its manifest declaring {@code frameStyle}. */
    static Path randomPushTBundle(Path dir, String frameStyle) {
        WorldModelConfig c = WorldModelConfig.small(4, 1);
        ModelWeights w = ModelWeights.random(c, Normalization.identity(4, c.actionDim()), 1);
        double[] ones = new double[c.actionDim()];
        Arrays.fill(ones, 1);
        BundleManifest m = BundleManifest.builder().name("random-pusht-" + frameStyle).environment("pusht")
                .frameStyle(frameStyle).imageSize(c.imageSize()).patchSize(c.patchSize()).numPatches(c.numPatches())
                .latentDim(c.latentDim()).proprioDim(4).proprioEmbDim(c.proprioEmbDim()).actionDim(c.actionDim())
                .actionEmbDim(c.actionEmbDim()).numHist(c.numHist()).frameskip(c.frameskip())
                .actionNormalisation(new double[c.actionDim()], ones)
                .proprioNormalisation(new double[] {256, 256, 0, 0}, new double[] {100, 100, 50, 50})
                .build();
        ModelBundle.Writer writer = ModelBundle.writer(m);
        OnnxExporter.exportAll(w).forEach(writer::component);
        writer.write(dir);
        return dir;
    }

    private static final String[] TINY = {"--max-iter", "1", "--opt-steps", "1", "--samples", "8", "--topk", "2"};

    private static String[] with(String[] a, String... b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void evalPlansOnTheBundlesFrames() {
        String json = QuantizeCommandTest.run(with(new String[] {"eval", "--bundle", dinowm.toString(), "--episodes", "1",
                "--dataset", dataset.toString(), "--json"}, TINY));
        assertTrue(json.contains("\"episodes\""), json);
        QuantizeCommandTest.run(with(new String[] {"eval", "--bundle", dinowm.toString(), "--true-dynamics",
                "--episodes", "1", "--dataset", dataset.toString(), "--json"}, TINY));
    }

    @Test
    void verifyPlansOnTheBundlesFramesAndRefusesTwoStyles() {
        StringWriter err = new StringWriter();
        var cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        java.io.PrintStream stdout = System.out;
        System.setOut(new java.io.PrintStream(new java.io.ByteArrayOutputStream()));
        try {
            assertEquals(4, cli.execute(with(new String[] {"verify", "--bundle", dinowm.toString(), "--reference",
                    dinowm.toString(), "--max-episodes", "1", "--dataset", dataset.toString()}, TINY)), err.toString());
            Path qwm = randomPushTBundle(tmp.resolve("pusht-qwm"), "qwm");
            assertEquals(1, cli.execute(with(new String[] {"verify", "--bundle", qwm.toString(), "--reference",
                    dinowm.toString(), "--max-episodes", "1", "--dataset", dataset.toString()}, TINY)));
        } finally {
            System.setOut(stdout);
        }
        assertTrue(err.toString().contains("--bundle reads qwm frames, --reference dinowm frames"), err.toString());
    }

    @Test
    void quantizeCalibratesOnTheBundlesFramesAndKeepsItsStyle() {
        Path q = tmp.resolve("pusht-dinowm-w8a8");
        QuantizeCommandTest.run("quantize", "--bundle", dinowm.toString(), "--preset", "w8a8", "--modules", "predictor",
                "--episodes", "1", "--quant-iter", "1", "--opt-steps", "1", "--samples", "8", "--dataset",
                dataset.toString(), "--out", q.toString());
        assertEquals("dinowm", ModelBundle.read(q).manifest().frameStyle());
    }

    @Test
    void aDatasetIsDrawnInTheStyleAsked() throws Exception {
        Path out = tmp.resolve("pusht-data-dinowm");
        QuantizeCommandTest.run("dataset", "--env", "pusht", "--episodes", "2", "--steps", "5", "--image-size", "16",
                "--threads", "1", "--frame-style", "dinowm", "--out", out.toString());
        assertEquals("dinowm", DatasetReader.open(out).manifest().generator().get("frameStyle"));
        assertTrue(Files.readString(out.resolve("dataset.json")).contains("pygame"));
        StringWriter err = new StringWriter();
        var cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute("dataset", "--env", "wall", "--frame-style", "pygame", "--out",
                tmp.resolve("never").toString()));
        assertTrue(err.toString().contains("unknown frame style 'pygame'"), err.toString());
    }
}
