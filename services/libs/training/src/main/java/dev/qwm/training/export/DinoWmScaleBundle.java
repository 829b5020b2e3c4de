package dev.qwm.training.export;

import dev.qwm.env.EnvironmentKind;
import dev.qwm.files.StagedWrite;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.training.model.Normalization;
import dev.qwm.training.model.WorldModelConfig;

import java.nio.file.Path;
import java.util.Map;

/**
 * A bundle with DINO-WM's real sizes and random weights, for scale and speed tests (never shipped, never planned
 * with for success): a ViT-S/14-shaped encoder (12 blocks, width 384, 6 heads, MLP 1536) giving 196 patch tokens
 * from 224-px images (16-px patches here; DINO-WM resizes to 196 px for 14-px patches, the same token count), and
 * DINO-WM's predictor (6 blocks, 16 heads x 64, MLP 2048, 404-wide tokens, numHist 3).
 */
public final class DinoWmScaleBundle {

    private DinoWmScaleBundle() {
    }

    public static ModelBundle write(Path dir, String environment, long seed) {
        return write(ModelBundle.target(dir, "bundle folder"), environment, seed);
    }

    public static ModelBundle write(StagedWrite dir, String environment, long seed) {
        int proprioDim = switch (EnvironmentKind.parse(environment)) {
            case WALL -> 2;
            case PUSHT -> 4;
        };
        WorldModelConfig c = WorldModelConfig.dinoWmScale(proprioDim);
        Normalization n = Normalization.identity(proprioDim, c.actionDim());
        ModelWeights w = ModelWeights.random(c, n, seed);
        RandomWeightsProvenance provenance = new RandomWeightsProvenance(RandomWeightsProvenance.KIND,
                "DINO-WM-scale shapes for scale and speed tests; random weights, plans nothing", seed,
                ModelWeights.byComponent(w.parameterCounts()));
        BundleManifest m = new BundleManifest(BundleManifest.FORMAT, "dinowm-scale-random-" + environment, environment,
                c.imageSize(), "qwm", c.patchSize(), c.numPatches(), c.latentDim(), c.proprioDim(), c.proprioEmbDim(),
                c.actionDim(), c.actionEmbDim(), c.numHist(), c.frameskip(), ones(c.actionDim(), 0), ones(c.actionDim(), 1),
                ones(proprioDim, 0), ones(proprioDim, 1), Map.of(), provenance.toJson());
        ModelBundle.Writer writer = ModelBundle.writer(m);
        OnnxExporter.exportAll(w).forEach(writer::component);
        return writer.write(dir);
    }

    private static double[] ones(int n, double v) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, v);
        return a;
    }
}
