package dev.qwm.training.export;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.training.model.Normalization;
import dev.qwm.training.model.DjlWorldModel;
import dev.qwm.training.model.WorldModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A bundle the exporter wrote reads back into a DJL model with exactly the weights it was written from. */
class ModelWeightsReadTest {

    static final WorldModelConfig CONFIG = new WorldModelConfig(16, 8, 16, 1, 2, 32, 2, 10, 10, 10, 2, 2, 8, 32, 2, 5);
    static final Normalization NORM = new Normalization(new float[] {3f, -1f}, new float[] {2f, 5f}, new float[10],
            new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});

    static ModelBundle write(ModelWeights w, Path dir) {
        BundleManifest m = new BundleManifest(BundleManifest.FORMAT, "t", "wall", CONFIG.imageSize(), "qwm", CONFIG.patchSize(),
                CONFIG.numPatches(), CONFIG.latentDim(), CONFIG.proprioDim(), CONFIG.proprioEmbDim(), CONFIG.actionDim(),
                CONFIG.actionEmbDim(), CONFIG.numHist(), CONFIG.frameskip(), doubles(NORM.actionMean()),
                doubles(NORM.actionStd()), doubles(NORM.proprioMean()), doubles(NORM.proprioStd()), Map.of(),
                (ObjectNode) null);
        ModelBundle.Writer writer = ModelBundle.writer(m);
        OnnxExporter.exportAll(w).forEach(writer::component);
        return writer.write(dir);
    }

    @Test
    void readsBackWhatWasExported(@TempDir Path dir) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(1);
            ModelWeights written = ModelWeights.of(DjlWorldModel.create(CONFIG, NORM, manager));
            ModelBundle bundle = write(written, dir.resolve("b"));
            Engine.getInstance().setRandomSeed(2);
            DjlWorldModel other = DjlWorldModel.create(CONFIG, NORM, manager);
            ModelWeights before = ModelWeights.of(other);
            assertFalse(java.util.Arrays.equals(written.predictor().position(), before.predictor().position()));

            ModelWeights read = ModelWeights.read(bundle, CONFIG);
            assertArrayEquals(NORM.proprioStd(), read.normalization().proprioStd());
            assertArrayEquals(NORM.actionStd(), read.normalization().actionStd());
            // The encoder alone first: the dynamics stay the other model's.
            read.copyEncoderInto(other);
            ModelWeights half = ModelWeights.of(other);
            assertSame(written.encoder(), half.encoder());
            assertArrayEquals(before.predictor().position(), half.predictor().position());
            assertArrayEquals(before.proprio().weight(), half.proprio().weight());
            read.copyDynamicsInto(other);
            ModelWeights all = ModelWeights.of(other);
            assertSame(written.encoder(), all.encoder());
            assertDense(written.proprio(), all.proprio());
            assertDense(written.action(), all.action());
            assertArrayEquals(written.predictor().position(), all.predictor().position());
            assertArrayEquals(written.predictor().norm().gamma(), all.predictor().norm().gamma());
            for (int i = 0; i < CONFIG.predictorDepth(); i++) {
                assertBlock(written.predictor().blocks().get(i), all.predictor().blocks().get(i));
            }
            // and the re-exported graphs are byte for byte the bundle's
            Map<String, byte[]> again = OnnxExporter.exportAll(all);
            for (String c : BundleManifest.REQUIRED_COMPONENTS) {
                assertArrayEquals(bundle.componentBytes(c), again.get(c), c);
            }
        }
    }

    /** A deeper model started from a shallower bundle computes what the bundle does, and its extra block trains. */
    @Test
    void aDeeperPredictorStartsAsTheBundlesWithIdentityBlocks(@TempDir Path dir) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(1);
            DjlWorldModel shallow = DjlWorldModel.create(CONFIG, NORM, manager);
            ModelBundle bundle = write(ModelWeights.of(shallow), dir.resolve("b"));
            WorldModelConfig deeper = new WorldModelConfig(16, 8, 16, 1, 2, 32, 2, 10, 10, 10, 4, 2, 8, 32, 2, 5);
            Engine.getInstance().setRandomSeed(2);
            DjlWorldModel deep = DjlWorldModel.create(deeper, NORM, manager);
            ModelWeights read = ModelWeights.read(bundle, deeper, true);
            assertEquals(2, read.predictor().blocks().size());
            // read for its encoder by a shallower model, the bundle's predictor is read whole all the same
            WorldModelConfig shallower = new WorldModelConfig(16, 8, 16, 1, 2, 32, 2, 10, 10, 10, 1, 2, 8, 32, 2, 5);
            assertEquals(2, ModelWeights.read(bundle, shallower, true).predictor().blocks().size());
            read.copyDynamicsInto(deep);
            SplittableRandom r = new SplittableRandom(4);
            float[] z = new float[3 * 2 * CONFIG.numPatches() * CONFIG.tokenDim()];
            for (int i = 0; i < z.length; i++) {
                z[i] = (float) r.nextGaussian();
            }
            Shape s = new Shape(3, 2, CONFIG.numPatches(), CONFIG.tokenDim());
            ParameterStore ps = new ParameterStore(manager, false);
            float[] a = shallow.predict(ps, manager.create(z, s), false).toFloatArray();
            float[] b = deep.predict(ps, manager.create(z, s), false).toFloatArray();
            assertArrayEquals(a, b, 1e-5f);
            // The extra blocks' inputs are not zero: their zeroed projections get a gradient.
            NDArray fc2 = deep.predictor().blocks().get(3).fc2().getParameters().get("weight").getArray();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(deep.predict(ps, manager.create(z, s), true).square().mean());
            }
            float[] g = fc2.getGradient().toFloatArray();
            float max = 0;
            for (float f : g) {
                max = Math.max(max, Math.abs(f));
            }
            assertTrue(max > 0, "no gradient reaches the identity block");
        }
    }

    @Test
    void refusesAModelOfAnotherShape(@TempDir Path dir) {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelBundle bundle = write(ModelWeights.of(DjlWorldModel.create(CONFIG, NORM, manager)), dir.resolve("b"));
            WorldModelConfig deeper = new WorldModelConfig(16, 8, 16, 1, 2, 32, 2, 10, 10, 10, 3, 2, 8, 32, 2, 5);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ModelWeights.read(bundle, deeper));
            assertTrue(e.getMessage().contains("predictor has no initializer block2/"), e.getMessage());
            WorldModelConfig shallower = new WorldModelConfig(16, 8, 16, 1, 2, 32, 2, 10, 10, 10, 1, 2, 8, 32, 2, 5);
            e = assertThrows(IllegalArgumentException.class, () -> ModelWeights.read(bundle, shallower));
            assertTrue(e.getMessage().contains("more than 1 blocks"), e.getMessage());
            WorldModelConfig wider = new WorldModelConfig(16, 8, 16, 1, 2, 32, 2, 10, 10, 10, 2, 2, 8, 48, 2, 5);
            e = assertThrows(IllegalArgumentException.class, () -> ModelWeights.read(bundle, wider));
            assertTrue(e.getMessage().contains("the model to train has"), e.getMessage());
        }
    }

    private static void assertSame(ModelWeights.Encoder a, ModelWeights.Encoder b) {
        assertDense(a.patch(), b.patch());
        assertArrayEquals(a.position(), b.position());
        assertArrayEquals(a.norm().gamma(), b.norm().gamma());
        assertArrayEquals(a.norm().beta(), b.norm().beta());
        for (int i = 0; i < a.blocks().size(); i++) {
            assertBlock(a.blocks().get(i), b.blocks().get(i));
        }
    }

    private static void assertBlock(ModelWeights.Block a, ModelWeights.Block b) {
        assertArrayEquals(a.norm1().gamma(), b.norm1().gamma());
        assertArrayEquals(a.norm2().beta(), b.norm2().beta());
        assertDense(a.qkv(), b.qkv());
        assertDense(a.proj(), b.proj());
        assertDense(a.fc1(), b.fc1());
        assertDense(a.fc2(), b.fc2());
    }

    private static void assertDense(ModelWeights.Dense a, ModelWeights.Dense b) {
        assertArrayEquals(a.weight(), b.weight());
        assertArrayEquals(a.bias(), b.bias());
    }

    private static double[] doubles(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
