package dev.qwm.planning.onnx;

import dev.qwm.env.FrameStyle;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.ActionNormalization;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Objective;
import dev.qwm.planning.Observation;
import dev.qwm.planning.WorldModel;

/**
 * A world model run in-process by ONNX Runtime (docs/bundle-contract.md): a visual encoder and the dynamics (proprio
 * and action encoders, predictor), usually from one bundle, or from two bundles (an FP encoder with a quantized
 * predictor, or the reverse), exactly as the encoder and predictor services pair them. All candidates of a predictor
 * step go in one batched call (see {@link OnnxDynamics}). Not thread-safe: one instance per planning thread.
 */
public final class OnnxWorldModel implements WorldModel {

    private final OnnxVisualEncoder encoder;
    private final OnnxDynamics dynamics;
    private final BundleManifest manifest;
    private final String reference;

    private OnnxWorldModel(OnnxVisualEncoder encoder, OnnxDynamics dynamics, String reference) {
        this.encoder = encoder;
        this.dynamics = dynamics;
        this.manifest = dynamics.manifest();
        this.reference = reference;
    }

    /** Opens the bundle's four components as ORT sessions with the thread settings of {@code config}. */
    public static OnnxWorldModel open(ModelBundle bundle, SessionConfig config) {
        return open(bundle, bundle, config);
    }

    /**
     * Pairs the visual encoder of {@code encoderBundle} with the dynamics of {@code predictorBundle}.
     *
     * @throws IllegalArgumentException if the two do not fit (environment, image size, patches, latent size)
     */
    public static OnnxWorldModel open(ModelBundle encoderBundle, ModelBundle predictorBundle, SessionConfig config) {
        requireCompatible(encoderBundle.manifest(), predictorBundle.manifest());
        OnnxVisualEncoder encoder = OnnxVisualEncoder.open(encoderBundle, config);
        try {
            OnnxDynamics dynamics = OnnxDynamics.open(predictorBundle, config);
            String reference = encoderBundle.directory().equals(predictorBundle.directory())
                    ? predictorBundle.reference()
                    : "encoder " + encoderBundle.reference() + " + predictor " + predictorBundle.reference();
            return new OnnxWorldModel(encoder, dynamics, reference);
        } catch (RuntimeException e) {
            encoder.close();
            throw e;
        }
    }

    /** Fails with a message naming the mismatch when an encoder cannot feed a predictor. */
    public static void requireCompatible(BundleManifest encoder, BundleManifest predictor) {
        StringBuilder why = new StringBuilder();
        if (!encoder.environment().equals(predictor.environment())) {
            why.append(" environment ").append(encoder.environment()).append(" vs ").append(predictor.environment()).append(';');
        }
        if (!encoder.frameStyle().equals(predictor.frameStyle())) {
            why.append(" frame style ").append(encoder.frameStyle()).append(" vs ").append(predictor.frameStyle()).append(';');
        }
        if (encoder.imageSize() != predictor.imageSize()) {
            why.append(" image size ").append(encoder.imageSize()).append(" vs ").append(predictor.imageSize()).append(';');
        }
        if (encoder.numPatches() != predictor.numPatches() || encoder.latentDim() != predictor.latentDim()) {
            why.append(" latents ").append(encoder.numPatches()).append('x').append(encoder.latentDim())
                    .append(" vs ").append(predictor.numPatches()).append('x').append(predictor.latentDim()).append(';');
        }
        if (why.length() > 0) {
            throw new IllegalArgumentException("encoder of bundle " + encoder.name() + " cannot feed the predictor of "
                    + predictor.name() + ":" + why.substring(0, why.length() - 1));
        }
    }

    public BundleManifest manifest() {
        return manifest;
    }

    public OnnxVisualEncoder visualEncoder() {
        return encoder;
    }

    public OnnxDynamics dynamics() {
        return dynamics;
    }

    @Override
    public String reference() {
        return reference;
    }

    @Override
    public String environment() {
        return manifest.environment();
    }

    @Override
    public int actionDim() {
        return dynamics.actionDim();
    }

    @Override
    public ActionNormalization actionNormalization() {
        return dynamics.actionNormalization();
    }

    @Override
    public int imageSize() {
        return manifest.imageSize();
    }

    @Override
    public FrameStyle frameStyle() {
        return FrameStyle.parse(manifest.frameStyle());
    }

    @Override
    public Latent encode(Observation observation) {
        int s = manifest.imageSize();
        if (observation.image() == null || observation.imageSize() != s || observation.image().length != s * s * 3) {
            throw new IllegalArgumentException("model " + manifest.name() + " needs a " + s + "x" + s
                    + " RGB frame, got " + (observation.image() == null ? "none" : observation.imageSize() + "x"
                    + observation.imageSize() + " (" + observation.image().length + " bytes)"));
        }
        return new Latent(encoder.encode(observation.image()), dynamics.embedProprio(observation.proprio()));
    }

    @Override
    public Latent[] rollout(Latent start, ActionBatch actions) {
        return dynamics.rollout(start, actions);
    }

    @Override
    public double[] score(Latent start, Latent goal, ActionBatch actions, Objective objective) {
        return dynamics.score(start, goal, actions, objective);
    }

    /** Predictor calls made so far (a rollout of horizon H over any batch makes H). */
    public long predictorCalls() {
        return dynamics.predictorCalls();
    }

    @Override
    public void close() {
        try {
            dynamics.close();
        } finally {
            encoder.close();
        }
    }
}
