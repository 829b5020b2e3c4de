package dev.qwm.quantizer;

import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.training.export.ModelWeights;
import dev.qwm.training.export.OnnxExporter;
import dev.qwm.training.model.Normalization;
import dev.qwm.training.model.WorldModelConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Full-precision Wall bundles with the shipped small models' architecture (training's ONNX exporter: ViT encoder,
 * 2-block predictor) and random weights: real graphs for the quantizer, written in a second.
 */
public final class SourceBundles {

    private SourceBundles() {
    }

    public static ModelBundle wall(Path dir, long seed) {
        WorldModelConfig c = WorldModelConfig.small(2, 1);
        Normalization n = Normalization.identity(2, c.actionDim());
        double[] ones = new double[c.actionDim()];
        Arrays.fill(ones, 1);
        BundleManifest m = new BundleManifest(BundleManifest.FORMAT, "random-small-wall", "wall", c.imageSize(), "qwm",
                c.patchSize(), c.numPatches(), c.latentDim(), c.proprioDim(), c.proprioEmbDim(), c.actionDim(),
                c.actionEmbDim(), c.numHist(), c.frameskip(), new double[c.actionDim()], ones, new double[]{0, 0},
                new double[]{1, 1}, Map.of(), null);
        ModelBundle.Writer writer = ModelBundle.writer(m);
        OnnxExporter.exportAll(ModelWeights.random(c, n, seed)).forEach(writer::component);
        return writer.write(dir);
    }
}
