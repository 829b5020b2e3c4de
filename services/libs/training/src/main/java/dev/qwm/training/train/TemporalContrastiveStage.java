package dev.qwm.training.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import dev.qwm.env.dataset.Episode;
import dev.qwm.training.data.Episodes;
import dev.qwm.training.model.VisualEncoder;
import dev.qwm.training.model.DjlWorldModel;
import dev.qwm.training.model.Scalars;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Pre-trains the visual encoder with a temporal InfoNCE objective (docs/experiments/feasibility.md): a positive pair is
 * two frames of one trajectory 1..{@code maxGap} env steps apart; the other pairs of the batch are the negatives. The
 * similarity is minus the MSE between the flattened patch latents over a learnable temperature tau, i.e. the very
 * distance the planner's objective uses, so the encoder learns latents whose distance grows with the time (and so the
 * task distance) between frames. The loss is the symmetric cross-entropy over the batch.
 *
 * <p>Each batch comes from one dataset, cycling through the given ones (e.g. Wall, then PushT), so negatives
 * are frames of the same task. Uses no state and no augmentation.
 */
public final class TemporalContrastiveStage extends AdamStage {

    private final VisualEncoder encoder;
    private final NDManager manager;
    private final List<List<Episode>> datasets;
    private final int batchPairs;
    private final int maxGap;
    private final long seed;
    private final Parameter logTau;
    private final List<Parameter> parameters;
    private final Adam adam;

    public TemporalContrastiveStage(VisualEncoder encoder, NDManager manager, List<List<Episode>> datasets,
                                    int batchPairs, int maxGap, float initialTau, long seed) {
        if (datasets.isEmpty() || datasets.stream().anyMatch(List::isEmpty)) {
            throw new IllegalArgumentException("every encoder dataset needs at least one episode");
        }
        for (List<Episode> d : datasets) {
            for (Episode e : d) {
                if (e.frames() == null) {
                    throw new IllegalArgumentException("encoder training needs episodes with frames");
                }
                if (e.imageSize() != encoder.config().imageSize()) {
                    throw new IllegalArgumentException("episode frames are " + e.imageSize() + " px, the encoder takes "
                            + encoder.config().imageSize());
                }
            }
        }
        this.encoder = encoder;
        this.manager = manager;
        this.datasets = datasets;
        this.batchPairs = batchPairs;
        this.maxGap = maxGap;
        this.seed = seed;
        logTau = Parameter.builder().setName("log_tau").setType(Parameter.Type.OTHER)
                .optInitializer(new ConstantInitializer((float) Math.log(initialTau))).optShape(new Shape(1)).build();
        logTau.initialize(manager, DataType.FLOAT32);
        parameters = new ArrayList<>(DjlWorldModel.trainable(encoder));
        parameters.add(logTau);
        adam = Adam.standard(parameters, manager, 0f);
    }

    /** Frames of a batch: pairs (a_i, b_i) laid out as [a_0..a_{B-1}, b_0..b_{B-1}]. */
    byte[] sampleBatch(long step) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
        List<Episode> data = datasets.get((int) (step % datasets.size()));
        int fb = encoder.config().imageSize() * encoder.config().imageSize() * 3;
        byte[] out = new byte[2 * batchPairs * fb];
        for (int i = 0; i < batchPairs; i++) {
            Episode e = data.get(r.nextInt(data.size()));
            int t = r.nextInt(e.steps());
            int gap = 1 + r.nextInt(Math.min(maxGap, e.steps() - t));
            Episodes.copyFrame(e, t, out, i * fb);
            Episodes.copyFrame(e, t + gap, out, (batchPairs + i) * fb);
        }
        return out;
    }

    @Override
    NDManager manager() {
        return manager;
    }

    @Override
    Adam adam() {
        return adam;
    }

    @Override
    NDArray[] losses(long step, ParameterStore ps) {
        byte[] frames = sampleBatch(step);
        int s = encoder.config().imageSize();
        NDArray images = manager.create(ByteBuffer.wrap(frames), new Shape(2L * batchPairs, s, s, 3), DataType.UINT8);
        NDArray z = encoder.forward(ps, new NDList(images), true).head().reshape(2L * batchPairs, -1);
        return infoNce(z, batchPairs, logTau.getArray());
    }

    @Override
    void metrics(NDArray[] losses, Map<String, Double> m) {
        m.put("acc", (double) losses[1].getFloat());
        m.put("tau", Math.exp(logTau.getArray().getFloat()));
    }

    /**
     * Symmetric InfoNCE with similarity -MSE/tau over rows of {@code z} = [a; b]. Returns the loss and the
     * top-1 accuracy of matching a_i to b_i.
     */
    static NDArray[] infoNce(NDArray z, int pairs, NDArray logTau) {
        long k = z.getShape().get(1);
        NDArray a = z.get("0:{}", pairs);
        NDArray b = z.get("{}:", pairs);
        NDArray aa = a.square().sum(new int[] {1}, true);               // [B,1]
        NDArray bb = b.square().sum(new int[] {1}, true).transpose();   // [1,B]
        NDArray mse = Scalars.div(aa.add(bb).sub(Scalars.mul(a.matMul(b.transpose()), 2f)), (float) k);
        NDArray logits = mse.neg().div(logTau.exp());
        NDArray eye = z.getManager().eye(pairs);
        NDArray lossAb = Scalars.div(logits.logSoftmax(1).mul(eye).sum().neg(), (float) pairs);
        NDArray lossBa = Scalars.div(logits.logSoftmax(0).mul(eye).sum().neg(), (float) pairs);
        NDArray loss = Scalars.div(lossAb.add(lossBa), 2f);
        NDArray acc = logits.argMax(1).eq(z.getManager().arange(pairs).toType(DataType.INT64, false))
                .toType(DataType.FLOAT32, false).mean();
        return new NDArray[] {loss, acc};
    }

    @Override
    public void save(Path dir) throws IOException {
        try (var out = new java.io.DataOutputStream(Files.newOutputStream(dir.resolve("encoder.params")))) {
            encoder.saveParameters(out);
        }
        Files.write(dir.resolve("log_tau.bin"), logTau.getArray().encode());
        adam.save(dir.resolve("adam.bin"));
    }

    @Override
    public void load(Path dir) throws IOException {
        try (var in = new java.io.DataInputStream(Files.newInputStream(dir.resolve("encoder.params")))) {
            encoder.loadParameters(manager, in);
        } catch (ai.djl.MalformedModelException e) {
            throw new IOException("cannot load " + dir.resolve("encoder.params") + ": " + e.getMessage(), e);
        }
        for (Parameter p : encoder.getParameters().values()) {
            p.getArray().setRequiresGradient(true);
        }
        try (NDArray saved = NDArray.decode(manager, Files.readAllBytes(dir.resolve("log_tau.bin")))) {
            logTau.getArray().set(saved.toFloatArray());
        }
        adam.load(dir.resolve("adam.bin"), manager);
    }
}
