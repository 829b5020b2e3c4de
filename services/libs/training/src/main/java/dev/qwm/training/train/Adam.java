package dev.qwm.training.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Adam with decoupled weight decay (AdamW) over DJL parameters.
 *
 * <p>Written here rather than taken from {@code ai.djl.training.optimizer.Adam} because training must resume
 * exactly after an interruption, and DJL's optimiser keeps its moment estimates private, so they could not be
 * checkpointed. The update is the textbook one (Kingma and Ba, with bias correction; Loshchilov and Hutter for
 * the decay), done in place outside gradient recording; gradients are zeroed after each step because the
 * PyTorch engine accumulates them.
 */
public final class Adam {

    private static final NDIndex EVERYTHING = new NDIndex("...");

    private final List<Parameter> parameters;
    private final List<NDArray> firstMoments = new ArrayList<>();
    private final List<NDArray> secondMoments = new ArrayList<>();
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final float weightDecay;
    private long steps;

    public Adam(List<Parameter> parameters, NDManager manager, float beta1, float beta2, float epsilon, float weightDecay) {
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException("no parameters to optimise");
        }
        this.parameters = List.copyOf(parameters);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        for (Parameter p : parameters) {
            firstMoments.add(manager.zeros(p.getArray().getShape()));
            secondMoments.add(manager.zeros(p.getArray().getShape()));
        }
    }

    /** Adam's usual constants (0.9, 0.999, 1e-8) and the given decoupled weight decay. */
    public static Adam standard(List<Parameter> parameters, NDManager manager, float weightDecay) {
        return new Adam(parameters, manager, 0.9f, 0.999f, 1e-8f, weightDecay);
    }

    /**
     * Applies one update with learning rate {@code lr} from the gradients of the last backward pass, unless they are
     * not finite (see {@link #step(float, float)}). Returns the gradients' global L2 norm.
     */
    public double step(float lr) {
        return step(lr, 0f);
    }

    /**
     * Applies one update; when {@code maxGradNorm > 0}, the gradients are first scaled down so that their global L2
     * norm is at most that value (a rare bad batch then cannot throw the weights off). Returns the norm before
     * clipping.
     *
     * <p>A gradient holding an inf or a NaN is <b>skipped</b>: no update, the moments untouched, the gradients
     * zeroed, and the returned norm is not finite, so that the caller can count it. Applying it would make the
     * weights NaN for good (clipping cannot help: inf &times; 0 is NaN), and so would zeroing it by {@code g - g}.
     */
    public double step(float lr, float maxGradNorm) {
        double norm = gradientNorm();
        if (!Double.isFinite(norm)) {
            zeroGradients();
            return norm;
        }
        if (maxGradNorm > 0 && norm > maxGradNorm) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                float scale = (float) (maxGradNorm / norm);
                for (Parameter p : parameters) {
                    p.getArray().getGradient().muli(scale);
                }
            }
        }
        update(lr);
        return norm;
    }

    /** The global L2 norm of the accumulated gradients (inf or NaN if any element is). */
    public double gradientNorm() {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            double sq = 0;
            for (Parameter p : parameters) {
                sq += p.getArray().getGradient().square().sum().getFloat();
            }
            return Math.sqrt(sq);
        }
    }

    private void update(float lr) {
        steps++;
        float c1 = (float) (1 - Math.pow(beta1, steps));
        float c2 = (float) (1 - Math.pow(beta2, steps));
        // The scope closes every temporary of the update; in-place results stay with their owners.
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (int i = 0; i < parameters.size(); i++) {
                update(i, lr, c1, c2);
            }
        }
    }

    private void update(int i, float lr, float c1, float c2) {
        NDArray w = parameters.get(i).getArray();
        NDArray g = w.getGradient();
        NDArray m = firstMoments.get(i);
        NDArray v = secondMoments.get(i);
        m.muli(beta1).addi(g.mul(1 - beta1));
        v.muli(beta2).addi(g.square().muli(1 - beta2));
        NDArray update = m.div(c1).divi(v.div(c2).sqrt().addi(epsilon));
        if (weightDecay > 0 && w.getShape().dimension() >= 2) {
            // decay matrices only; biases, norms and tau keep their scale
            update.addi(w.mul(weightDecay));
        }
        w.subi(update.muli(lr));
        g.set(EVERYTHING, 0f);
    }

    public long steps() {
        return steps;
    }

    /** Forgets the moment estimates and the step count (after timing steps run with learning rate 0). */
    public void reset() {
        for (int i = 0; i < parameters.size(); i++) {
            firstMoments.get(i).muli(0f);
            secondMoments.get(i).muli(0f);
        }
        steps = 0;
    }

    /**
     * Zeroes accumulated gradients without updating (e.g. after a skipped step). A fill rather than {@code g - g},
     * so that a gradient holding inf or NaN is cleared as well; and in place, since {@code set(float[])} would
     * point the engine's gradient at a Java buffer that is freed when the handle closes.
     */
    public void zeroGradients() {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (Parameter p : parameters) {
                NDArray g = p.getArray().getGradient();
                g.set(EVERYTHING, 0f);
            }
        }
    }

    /** Writes the step count and both moment estimates. */
    public void save(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp);
             DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os))) {
            out.writeLong(steps);
            out.writeInt(parameters.size());
            NDList all = new NDList();
            all.addAll(firstMoments);
            all.addAll(secondMoments);
            byte[] encoded = all.encode();
            out.writeInt(encoded.length);
            out.write(encoded);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Restores what {@link #save} wrote; the parameter list must be the same. */
    public void load(Path file, NDManager manager) throws IOException {
        try (InputStream is = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new BufferedInputStream(is))) {
            long savedSteps = in.readLong();
            int n = in.readInt();
            if (n != parameters.size()) {
                throw new IOException(file + " holds optimiser state for " + n + " parameters, the model has "
                        + parameters.size());
            }
            byte[] encoded = in.readNBytes(in.readInt());
            NDList all = NDList.decode(manager, encoded);
            for (int i = 0; i < n; i++) {
                if (!all.get(i).getShape().equals(firstMoments.get(i).getShape())) {
                    throw new IOException(file + ": moment " + i + " has shape " + all.get(i).getShape()
                            + ", parameter has " + firstMoments.get(i).getShape());
                }
                firstMoments.get(i).set(all.get(i).toFloatArray());
                secondMoments.get(i).set(all.get(n + i).toFloatArray());
            }
            all.close();
            steps = savedSteps;
        }
    }
}
