package dev.qwm.planning.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.runtime.OnnxRuntimeException;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.kernel.KernelChoice;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.ActionNormalization;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Objective;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * The dynamics half of a bundle in ONNX Runtime: proprio encoder, action encoder and predictor (everything but the
 * visual encoder, which the encoder service serves separately). The rollout is DINO-WM's: the
 * start frame carries the first action's embedding; each predictor call sees the last {@code numHist} frames of
 * every candidate at once ({@code [B, T, N, E]}, one batched call per step), its last output frame gets the next
 * action's embedding in its action channels and is appended; a final call gives the frame the objective scores.
 * Horizon H costs H predictor calls and one action-encoder call for the whole batch; a batch whose attention would
 * exceed the {@link PredictorCallBudget} is run as consecutive chunks of candidates, with the same outputs bit for bit.
 *
 * <p>Predictor inputs and outputs live in reused direct buffers (outputs are pinned, so ORT writes into them);
 * every tensor and result is closed after its call. Not thread-safe: one instance per planning thread.
 */
public final class OnnxDynamics implements AutoCloseable {

    private static final String PROPRIO = "proprio";
    private static final String PROPRIO_EMB = "proprio_emb";
    private static final String ACTIONS = "actions";
    private static final String ACTION_EMB = "action_emb";
    private static final String Z = "z";
    private static final String Z_PRED = "z_pred";

    private final BundleManifest manifest;
    private final String sha256;
    private final ActionNormalization normalization;
    private final OnnxSession proprioEncoder;
    private final OnnxSession actionEncoder;
    private final OnnxSession predictor;
    private final OrtEnvironment env = OrtRuntime.environment();

    private final int numPatches;
    private final int latentDim;
    private final int proprioEmbDim;
    private final int actionEmbDim;
    private final int tokenDim;
    private final int frameSize;
    private final int numHist;
    private final PredictorCallBudget.Chunking chunking;

    // predictor window [B, T, N, E] (double-buffered) and pinned output, grown on demand
    private FloatBuffer window;
    private FloatBuffer nextWindow;
    private FloatBuffer predicted;
    private int capacityFrames;
    private long predictorCalls;

    private OnnxDynamics(ModelBundle bundle, SessionConfig config, PredictorCallBudget budget) {
        this.manifest = bundle.manifest();
        this.sha256 = manifest.components().get(BundleManifest.PREDICTOR).sha256();
        this.normalization = new ActionNormalization(manifest.actionMean(), manifest.actionStd(),
                manifest.frameskip());
        this.numPatches = manifest.numPatches();
        this.latentDim = manifest.latentDim();
        this.proprioEmbDim = manifest.proprioEmbDim();
        this.actionEmbDim = manifest.actionEmbDim();
        this.tokenDim = manifest.tokenDim();
        this.frameSize = numPatches * tokenDim;
        this.numHist = manifest.numHist();
        this.chunking = budget.chunking(manifest, OnnxModels.read(bundle.componentPath(BundleManifest.PREDICTOR)));
        OnnxSession p = null, a = null, z = null;
        try {
            p = open(bundle, BundleManifest.PROPRIO_ENCODER, config).requireSignature(Set.of(PROPRIO), Set.of(PROPRIO_EMB));
            a = open(bundle, BundleManifest.ACTION_ENCODER, config).requireSignature(Set.of(ACTIONS), Set.of(ACTION_EMB));
            z = open(bundle, BundleManifest.PREDICTOR, config).requireSignature(Set.of(Z), Set.of(Z_PRED));
            Shapes.check(manifest, p, PROPRIO, true, -1, -1, manifest.proprioDim());
            Shapes.check(manifest, p, PROPRIO_EMB, false, -1, -1, proprioEmbDim);
            Shapes.check(manifest, a, ACTIONS, true, -1, -1, manifest.actionDim());
            Shapes.check(manifest, a, ACTION_EMB, false, -1, -1, actionEmbDim);
            Shapes.check(manifest, z, Z, true, -1, -1, numPatches, tokenDim);
            Shapes.check(manifest, z, Z_PRED, false, -1, -1, numPatches, tokenDim);
        } catch (RuntimeException e) {
            for (OnnxSession s : new OnnxSession[] {p, a, z}) {
                if (s != null) {
                    s.close();
                }
            }
            throw e;
        }
        this.proprioEncoder = p;
        this.actionEncoder = a;
        this.predictor = z;
    }

    /**
     * Opens the bundle's proprio encoder, action encoder and predictor with the thread settings of {@code config}
     * and the predictor call budget of the system properties ({@link PredictorCallBudget#fromSystemProperties}).
     */
    public static OnnxDynamics open(ModelBundle bundle, SessionConfig config) {
        return open(bundle, config, PredictorCallBudget.fromSystemProperties());
    }

    /** As {@link #open(ModelBundle, SessionConfig)}, with each predictor call's memory bounded by {@code budget}. */
    public static OnnxDynamics open(ModelBundle bundle, SessionConfig config, PredictorCallBudget budget) {
        return new OnnxDynamics(bundle, config, budget);
    }

    /** How this model's predictor calls are split into chunks of candidates. */
    public PredictorCallBudget.Chunking chunking() {
        return chunking;
    }

    public BundleManifest manifest() {
        return manifest;
    }

    /** The sha256 of the predictor's ONNX file: the artifact's identity. */
    public String sha256() {
        return sha256;
    }

    public int actionDim() {
        return manifest.actionDim();
    }

    public ActionNormalization actionNormalization() {
        return normalization;
    }

    /** The proprio embedding of one raw proprio vector. */
    public float[] embedProprio(double[] proprio) {
        if (proprio.length != manifest.proprioDim()) {
            throw new IllegalArgumentException("model " + manifest.name() + " needs proprio of dimension "
                    + manifest.proprioDim() + ", got " + proprio.length);
        }
        FloatBuffer data = OrtRuntime.directFloats(manifest.proprioDim());
        for (double v : proprio) {
            data.put((float) v);
        }
        data.flip();
        try (OnnxTensor t = OnnxTensor.createTensor(env, data, new long[] {1, 1, manifest.proprioDim()});
             OrtSession.Result r = proprioEncoder.run(Map.of(PROPRIO, t))) {
            return Shapes.floats(r, PROPRIO_EMB, proprioEmbDim, proprioEncoder);
        } catch (OrtException e) {
            throw new OnnxRuntimeException(proprioEncoder.label() + ": " + e.getMessage(), e);
        }
    }

    /** The last imagined latent frame of every candidate. */
    public Latent[] rollout(Latent start, ActionBatch actions) {
        float[] last = imagine(new Latent[] {start}, new int[] {actions.batch()}, actions);
        Latent[] out = new Latent[actions.batch()];
        for (int b = 0; b < actions.batch(); b++) {
            out[b] = finalLatent(last, b);
        }
        return out;
    }

    /** The objective of every candidate (lower is better). */
    public double[] score(Latent start, Latent goal, ActionBatch actions, Objective objective) {
        float[] last = imagine(new Latent[] {start}, new int[] {actions.batch()}, actions);
        double[] losses = new double[actions.batch()];
        for (int b = 0; b < losses.length; b++) {
            losses[b] = loss(last, b, goal, objective);
        }
        return losses;
    }

    /**
     * DINO-WM's rollout of candidates that start from different latents, in one batched predictor call per step:
     * group {@code g} is the next {@code groupSizes[g]} candidates of {@code actions} and starts from
     * {@code starts[g]} (the predictor service merges the CEM steps of concurrent sessions this way). Each
     * candidate's frames are computed exactly as by {@link #rollout} on its group alone; read the result with
     * {@link #loss} and {@link #finalLatent}.
     *
     * @return the last imagined frame of every candidate as predictor tokens, {@code [B, N, E]}
     */
    public float[] lastFrames(Latent[] starts, int[] groupSizes, ActionBatch actions) {
        if (starts.length != groupSizes.length || starts.length == 0) {
            throw new IllegalArgumentException(starts.length + " start latents for " + groupSizes.length
                    + " candidate groups; expected one per group, at least one");
        }
        int total = 0;
        for (int size : groupSizes) {
            if (size < 1) {
                throw new IllegalArgumentException("a candidate group is empty: " + Arrays.toString(groupSizes));
            }
            total += size;
        }
        if (total != actions.batch()) {
            throw new IllegalArgumentException("candidate groups " + Arrays.toString(groupSizes) + " sum to " + total
                    + ", but the action batch holds " + actions.batch() + " candidates");
        }
        return imagine(starts, groupSizes, actions);
    }

    /** The objective of candidate {@code b} of {@code lastFrames} (from {@link #lastFrames}), as {@link #score}. */
    public double loss(float[] lastFrames, int b, Latent goal, Objective objective) {
        return objective.lossOnTokens(lastFrames, b * frameSize, numPatches, tokenDim, latentDim, goal);
    }

    /** The final latent (visual patches and proprio embedding) of candidate {@code b} of {@code lastFrames}. */
    public Latent finalLatent(float[] lastFrames, int b) {
        float[] visual = new float[numPatches * latentDim];
        int base = b * frameSize;
        for (int n = 0; n < numPatches; n++) {
            System.arraycopy(lastFrames, base + n * tokenDim, visual, n * latentDim, latentDim);
        }
        return new Latent(visual, Arrays.copyOfRange(lastFrames, base + latentDim, base + latentDim + proprioEmbDim));
    }

    /** DINO-WM's rollout; returns the last imagined frame of every candidate, {@code [B, N, E]}. */
    private float[] imagine(Latent[] starts, int[] groupSizes, ActionBatch actions) {
        for (Latent start : starts) {
            checkStart(start);
        }
        if (actions.actionDim() != manifest.actionDim()) {
            throw new IllegalArgumentException("model " + manifest.name() + " takes macro actions of dimension "
                    + manifest.actionDim() + ", got " + actions.actionDim());
        }
        int batch = actions.batch();
        int horizon = actions.horizon();
        float[] actionEmb = encodeActions(actions);
        ensureCapacity(batch * numHist);

        // frame 0: each group's start latent with its proprio embedding and the first action's embedding on every patch
        window.clear();
        int group = 0;
        int groupEnd = groupSizes[0];
        for (int b = 0; b < batch; b++) {
            if (b == groupEnd) {
                groupEnd += groupSizes[++group];
            }
            Latent start = starts[group];
            int frame = b * frameSize;
            for (int n = 0; n < numPatches; n++) {
                int row = frame + n * tokenDim;
                window.put(row, start.visual(), n * latentDim, latentDim);
                window.put(row + latentDim, start.proprio(), 0, proprioEmbDim);
                window.put(row + latentDim + proprioEmbDim, actionEmb, (b * horizon) * actionEmbDim, actionEmbDim);
            }
        }
        int frames = 1;
        for (int t = 1; t <= horizon; t++) {
            predict(batch, frames);
            int keep = Math.min(frames, numHist - 1); // history frames that stay in the next window
            int nextFrames = keep + 1;
            for (int b = 0; b < batch; b++) {
                int src = (b * frames + (frames - keep)) * frameSize;
                int dst = b * nextFrames * frameSize;
                if (keep > 0) {
                    nextWindow.put(dst, window, src, keep * frameSize);
                }
                int newFrame = dst + keep * frameSize;
                nextWindow.put(newFrame, predicted, (b * frames + frames - 1) * frameSize, frameSize);
                if (t < horizon) {
                    int emb = (b * horizon + t) * actionEmbDim;
                    for (int n = 0; n < numPatches; n++) {
                        nextWindow.put(newFrame + n * tokenDim + latentDim + proprioEmbDim, actionEmb, emb,
                                actionEmbDim);
                    }
                }
            }
            FloatBuffer swap = window;
            window = nextWindow;
            nextWindow = swap;
            frames = nextFrames;
        }
        // the last frame of each candidate's window is the final prediction
        float[] last = new float[batch * frameSize];
        for (int b = 0; b < batch; b++) {
            window.get((b * frames + frames - 1) * frameSize, last, b * frameSize, frameSize);
        }
        return last;
    }

    /**
     * The proprio embeddings of raw proprio vectors {@code [batch, frames, proprioDim]}, as
     * {@code [batch, frames, proprioEmbDim]} (for measurements outside planning, e.g. open-loop error on a dataset).
     */
    public float[] embedProprio(float[] raw, int batch, int frames) {
        return runFloats(proprioEncoder, PROPRIO, raw, new long[] {batch, frames, manifest.proprioDim()}, PROPRIO_EMB,
                batch * frames * proprioEmbDim);
    }

    /** The embeddings of normalised macro actions {@code [batch, frames, actionDim]}, as {@code [batch, frames, actionEmbDim]}. */
    public float[] embedActions(float[] normalized, int batch, int frames) {
        return runFloats(actionEncoder, ACTIONS, normalized, new long[] {batch, frames, manifest.actionDim()},
                ACTION_EMB, batch * frames * actionEmbDim);
    }

    /**
     * One predictor call on caller-built tokens {@code z [batch, frames, N, E]} (1 <= frames <= numHist), returning
     * {@code z_pred} of the same shape: the raw call under {@link #rollout}, for teacher-forced or open-loop
     * measurements with a true history.
     */
    public float[] predictTokens(float[] z, int batch, int frames) {
        if (frames < 1 || frames > numHist) {
            throw new IllegalArgumentException("model " + manifest.name() + " predicts from 1.." + numHist
                    + " frames, got " + frames);
        }
        predictorCalls++;
        return runFloats(predictor, Z, z, new long[] {batch, frames, numPatches, tokenDim}, Z_PRED,
                batch * frames * frameSize);
    }

    private float[] runFloats(OnnxSession session, String input, float[] values, long[] shape, String output,
                              int expected) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (values.length != n) {
            throw new IllegalArgumentException(session.label() + ": " + input + " needs " + n + " values for shape "
                    + Arrays.toString(shape) + ", got " + values.length);
        }
        FloatBuffer data = OrtRuntime.directFloats(values.length);
        data.put(values).flip();
        try (OnnxTensor t = OnnxTensor.createTensor(env, data, shape);
             OrtSession.Result r = session.run(Map.of(input, t))) {
            return Shapes.floats(r, output, expected, session);
        } catch (OrtException e) {
            throw new OnnxRuntimeException(session.label() + ": " + e.getMessage(), e);
        }
    }

    /** Predictor calls made so far (a rollout of horizon H over any batch makes H). */
    public long predictorCalls() {
        return predictorCalls;
    }

    /**
     * The batched predictor on {@code window[B, T]}, written into {@code predicted[B, T]}: one call, or consecutive
     * chunks of candidates when the whole batch would exceed the call budget (counted as one call all the same).
     */
    private void predict(int batch, int frames) {
        predictorCalls++;
        int chunk = chunking.candidatesPerCall(batch, frames);
        for (int first = 0; first < batch; first += chunk) {
            int size = Math.min(chunk, batch - first);
            int offset = first * frames * frameSize;
            int n = size * frames * frameSize;
            long[] shape = {size, frames, numPatches, tokenDim};
            try (OnnxTensor in = OnnxTensor.createTensor(env, window.slice(offset, n), shape);
                 OnnxTensor out = OnnxTensor.createTensor(env, predicted.slice(offset, n), shape);
                 OrtSession.Result r = predictor.runInto(Map.of(Z, in), Map.of(Z_PRED, out))) {
                if (r.size() != 1) {
                    throw new OnnxRuntimeException(predictor.label() + ": expected the pinned output only");
                }
            } catch (OnnxRuntimeException e) {
                throw new OnnxRuntimeException(predictor.label() + ": inference failed on [" + size + ", " + frames
                        + ", " + numPatches + ", " + tokenDim + "]: " + e.getMessage(), e);
            } catch (OrtException e) {
                throw new OnnxRuntimeException(predictor.label() + ": cannot wrap the tensors of [" + size + ", "
                        + frames + ", " + numPatches + ", " + tokenDim + "]: " + e.getMessage(), e);
            }
        }
    }

    private float[] encodeActions(ActionBatch actions) {
        FloatBuffer data = OrtRuntime.directFloats(actions.data().length);
        data.put(actions.data()).flip();
        try (OnnxTensor t = OnnxTensor.createTensor(env, data,
                new long[] {actions.batch(), actions.horizon(), actions.actionDim()});
             OrtSession.Result r = actionEncoder.run(Map.of(ACTIONS, t))) {
            return Shapes.floats(r, ACTION_EMB, actions.batch() * actions.horizon() * actionEmbDim, actionEncoder);
        } catch (OrtException e) {
            throw new OnnxRuntimeException(actionEncoder.label() + ": " + e.getMessage(), e);
        }
    }

    private void ensureCapacity(int frames) {
        if (frames <= capacityFrames) {
            return;
        }
        int n = Math.multiplyExact(frames, frameSize);
        window = OrtRuntime.directFloats(n);
        nextWindow = OrtRuntime.directFloats(n);
        predicted = OrtRuntime.directFloats(n);
        capacityFrames = frames;
    }

    private void checkStart(Latent start) {
        if (start.visual().length != numPatches * latentDim || start.proprio().length != proprioEmbDim) {
            throw new IllegalArgumentException("start latent of " + start.visual().length + " + "
                    + start.proprio().length + " values does not fit model " + manifest.name() + " ("
                    + numPatches + " x " + latentDim + " + " + proprioEmbDim + ")");
        }
    }

    private static OnnxSession open(ModelBundle bundle, String component, SessionConfig config) {
        // the kernel variants measured fastest on this CPU among those computing the same numbers
        return KernelChoice.open(bundle.componentPath(component), config);
    }

    @Override
    public void close() {
        proprioEncoder.close();
        actionEncoder.close();
        predictor.close();
    }
}
