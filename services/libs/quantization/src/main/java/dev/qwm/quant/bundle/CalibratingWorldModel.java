package dev.qwm.quant.bundle;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.qwm.env.FrameStyle;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.ActionNormalization;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Objective;
import dev.qwm.planning.Observation;
import dev.qwm.planning.WorldModel;
import dev.qwm.planning.onnx.PredictorCallBudget;
import dev.qwm.quant.calib.ActivationCollector;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * The float world model of a bundle, planned with like any other, whose visual-encoder and predictor calls go through
 * calibration collectors: every image the planner encodes and every batched predictor call of every CEM candidate
 * rollout feeds the statistics (QuantWM's closed-loop calibration, docs/reference/quantwm.md "Calibration"). Outputs
 * are the float model's own.
 *
 * <p>The rollout is DINO-WM's, as {@code dev.qwm.planning.onnx.OnnxWorldModel} implements it (a test checks both
 * give the same scores): frame 0 is the start latent with the first action's embedding on every patch; each of the
 * H predictor calls sees the last {@code numHist} frames; the last predicted frame takes the next action's
 * embedding and is appended; the final call's last frame is scored.
 *
 * <p>A predictor call whose attention would exceed the {@link PredictorCallBudget} is run, and observed, as
 * consecutive chunks of candidates: the outputs are the same bit for bit, but the collector then sees several
 * smaller batches, so its sampled rows differ from an unchunked run (deterministically so, given the bundle, the
 * budget and the seed). A batch within the budget, as every CEM step of the shipped models is, is one call as before.
 */
public final class CalibratingWorldModel implements WorldModel {

    private final BundleManifest m;
    private final String reference;
    private final ActionNormalization normalization;
    private final ActivationCollector encoderCollector;
    private final ActivationCollector predictorCollector;
    private final OnnxSession visual;
    private final OnnxSession proprio;
    private final OnnxSession action;
    private final OnnxSession predictor;
    private final int n;
    private final int d;
    private final int pe;
    private final int ae;
    private final int e;
    private final int frame;
    private final PredictorCallBudget.Chunking chunking;

    /**
     * Collectors may be null (that component then runs as a plain session, unobserved); predictor calls are bounded by
     * the budget of the system properties ({@link PredictorCallBudget#fromSystemProperties}).
     */
    public CalibratingWorldModel(ModelBundle bundle, SessionConfig config, ActivationCollector encoderCollector,
                                 ActivationCollector predictorCollector) {
        this(bundle, config, encoderCollector, predictorCollector, PredictorCallBudget.fromSystemProperties());
    }

    public CalibratingWorldModel(ModelBundle bundle, SessionConfig config, ActivationCollector encoderCollector,
                                 ActivationCollector predictorCollector, PredictorCallBudget budget) {
        this.m = bundle.manifest();
        this.reference = "calibration:" + bundle.reference();
        this.normalization = new ActionNormalization(m.actionMean(), m.actionStd(), m.frameskip());
        this.encoderCollector = encoderCollector;
        this.predictorCollector = predictorCollector;
        this.visual = encoderCollector == null ? OrtRuntime.open(bundle.componentPath(BundleManifest.VISUAL_ENCODER), config) : null;
        this.proprio = OrtRuntime.open(bundle.componentPath(BundleManifest.PROPRIO_ENCODER), config);
        this.action = OrtRuntime.open(bundle.componentPath(BundleManifest.ACTION_ENCODER), config);
        this.predictor = predictorCollector == null ? OrtRuntime.open(bundle.componentPath(BundleManifest.PREDICTOR), config) : null;
        this.n = m.numPatches();
        this.d = m.latentDim();
        this.pe = m.proprioEmbDim();
        this.ae = m.actionEmbDim();
        this.e = m.tokenDim();
        this.frame = n * e;
        this.chunking = budget.chunking(m, predictorCollector != null ? predictorCollector.model()
                : OnnxModels.read(bundle.componentPath(BundleManifest.PREDICTOR)));
    }

    @Override
    public String reference() {
        return reference;
    }

    @Override
    public String environment() {
        return m.environment();
    }

    @Override
    public int actionDim() {
        return m.actionDim();
    }

    @Override
    public ActionNormalization actionNormalization() {
        return normalization;
    }

    @Override
    public int imageSize() {
        return m.imageSize();
    }

    @Override
    public FrameStyle frameStyle() {
        return FrameStyle.parse(m.frameStyle());
    }

    @Override
    public Latent encode(Observation observation) {
        int s = m.imageSize();
        ByteBuffer img = ByteBuffer.allocateDirect(s * s * 3).order(ByteOrder.nativeOrder());
        img.put(observation.image()).flip();
        float[] latents;
        try (OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(), img, new long[]{1, s, s, 3}, OnnxJavaType.UINT8);
             OrtSession.Result r = encoderCollector != null ? encoderCollector.run(Map.of("images", t)) : visual.run(Map.of("images", t))) {
            latents = floats(r, "latents");
        } catch (OrtException ex) {
            throw new IllegalStateException("visual encoder: " + ex.getMessage(), ex);
        }
        float[] p = new float[m.proprioDim()];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) observation.proprio()[i];
        }
        float[] emb;
        try (OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(), FloatBuffer.wrap(p), new long[]{1, 1, p.length});
             OrtSession.Result r = proprio.run(Map.of("proprio", t))) {
            emb = floats(r, "proprio_emb");
        } catch (OrtException ex) {
            throw new IllegalStateException("proprio encoder: " + ex.getMessage(), ex);
        }
        return new Latent(latents, emb);
    }

    @Override
    public Latent[] rollout(Latent start, ActionBatch actions) {
        float[] last = imagine(start, actions);
        Latent[] out = new Latent[actions.batch()];
        for (int b = 0; b < out.length; b++) {
            float[] v = new float[n * d];
            for (int k = 0; k < n; k++) {
                System.arraycopy(last, b * frame + k * e, v, k * d, d);
            }
            float[] p = new float[pe];
            System.arraycopy(last, b * frame + d, p, 0, pe);
            out[b] = new Latent(v, p);
        }
        return out;
    }

    @Override
    public double[] score(Latent start, Latent goal, ActionBatch actions, Objective objective) {
        float[] last = imagine(start, actions);
        double[] losses = new double[actions.batch()];
        for (int b = 0; b < losses.length; b++) {
            losses[b] = objective.lossOnTokens(last, b * frame, n, e, d, goal);
        }
        return losses;
    }

    private float[] imagine(Latent start, ActionBatch actions) {
        int batch = actions.batch();
        int horizon = actions.horizon();
        float[] emb = encodeActions(actions);
        int numHist = m.numHist();
        float[] window = new float[batch * frame];
        for (int b = 0; b < batch; b++) {
            for (int k = 0; k < n; k++) {
                int row = b * frame + k * e;
                System.arraycopy(start.visual(), k * d, window, row, d);
                System.arraycopy(start.proprio(), 0, window, row + d, pe);
                System.arraycopy(emb, (b * horizon) * ae, window, row + d + pe, ae);
            }
        }
        int frames = 1;
        for (int t = 1; t <= horizon; t++) {
            float[] predicted = predict(window, batch, frames);
            int keep = Math.min(frames, numHist - 1);
            int next = keep + 1;
            float[] nextWindow = new float[batch * next * frame];
            for (int b = 0; b < batch; b++) {
                int dst = b * next * frame;
                if (keep > 0) {
                    System.arraycopy(window, (b * frames + frames - keep) * frame, nextWindow, dst, keep * frame);
                }
                int newFrame = dst + keep * frame;
                System.arraycopy(predicted, (b * frames + frames - 1) * frame, nextWindow, newFrame, frame);
                if (t < horizon) {
                    for (int k = 0; k < n; k++) {
                        System.arraycopy(emb, (b * horizon + t) * ae, nextWindow, newFrame + k * e + d + pe, ae);
                    }
                }
            }
            window = nextWindow;
            frames = next;
        }
        float[] last = new float[batch * frame];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(window, (b * frames + frames - 1) * frame, last, b * frame, frame);
        }
        return last;
    }

    private float[] predict(float[] window, int batch, int frames) {
        int chunk = chunking.candidatesPerCall(batch, frames);
        if (chunk == batch) {
            return predictChunk(window, 0, batch, frames);
        }
        float[] out = new float[batch * frames * frame];
        for (int first = 0; first < batch; first += chunk) {
            int size = Math.min(chunk, batch - first);
            float[] part = predictChunk(window, first, size, frames);
            System.arraycopy(part, 0, out, first * frames * frame, part.length);
        }
        return out;
    }

    /** The predictor on candidates {@code first .. first + size - 1} of {@code window}. */
    private float[] predictChunk(float[] window, int first, int size, int frames) {
        int n = size * frames * frame;
        try (OnnxTensor z = OnnxTensor.createTensor(OrtRuntime.environment(),
                FloatBuffer.wrap(window, first * frames * frame, n).slice(), new long[]{size, frames, this.n, e});
             OrtSession.Result r = predictorCollector != null ? predictorCollector.run(Map.of("z", z)) : predictor.run(Map.of("z", z))) {
            return floats(r, "z_pred");
        } catch (OrtException ex) {
            throw new IllegalStateException("predictor: " + ex.getMessage(), ex);
        }
    }

    private float[] encodeActions(ActionBatch actions) {
        try (OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(), FloatBuffer.wrap(actions.data()),
                new long[]{actions.batch(), actions.horizon(), actions.actionDim()});
             OrtSession.Result r = action.run(Map.of("actions", t))) {
            return floats(r, "action_emb");
        } catch (OrtException ex) {
            throw new IllegalStateException("action encoder: " + ex.getMessage(), ex);
        }
    }

    private static float[] floats(OrtSession.Result r, String name) {
        FloatBuffer b = ((OnnxTensor) r.get(name).orElseThrow(() -> new IllegalStateException("no output " + name))).getFloatBuffer();
        float[] f = new float[b.remaining()];
        b.get(f);
        return f;
    }

    @Override
    public void close() {
        for (OnnxSession s : new OnnxSession[]{visual, proprio, action, predictor}) {
            if (s != null) {
                s.close();
            }
        }
    }
}
