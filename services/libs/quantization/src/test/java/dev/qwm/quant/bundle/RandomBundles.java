package dev.qwm.quant.bundle;

import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.training.export.ModelWeights;
import dev.qwm.training.export.OnnxExporter;
import dev.qwm.training.model.Normalization;
import dev.qwm.training.model.WorldModelConfig;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/** Bundles with the shipped small models' architecture (training's exporter) and random weights. */
public final class RandomBundles {

    private RandomBundles() {
    }

    public static ModelBundle wall(Path dir, long seed) {
        WorldModelConfig c = WorldModelConfig.small(2, 1);
        Normalization n = Normalization.identity(2, c.actionDim());
        ModelWeights w = ModelWeights.random(c, n, seed);
        double[] zeros = new double[c.actionDim()];
        double[] ones = new double[c.actionDim()];
        Arrays.fill(ones, 1);
        BundleManifest m = new BundleManifest(BundleManifest.FORMAT, "random-small-wall", "wall", c.imageSize(), "qwm",
                c.patchSize(), c.numPatches(), c.latentDim(), c.proprioDim(), c.proprioEmbDim(), c.actionDim(),
                c.actionEmbDim(), c.numHist(), c.frameskip(), zeros, ones, new double[]{0, 0}, new double[]{1, 1},
                Map.of(), new dev.qwm.training.export.RandomWeightsProvenance(
                        dev.qwm.training.export.RandomWeightsProvenance.KIND, "quantization tests", seed,
                        ModelWeights.byComponent(w.parameterCounts())).toJson());
        ModelBundle.Writer writer = ModelBundle.writer(m);
        OnnxExporter.exportAll(w).forEach(writer::component);
        return writer.write(dir);
    }
}
