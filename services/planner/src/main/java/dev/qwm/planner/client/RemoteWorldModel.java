package dev.qwm.planner.client;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.RunEnvironment;
import dev.qwm.api.predictor.v1.CloseSessionRequest;
import dev.qwm.api.predictor.v1.EmbedRequest;
import dev.qwm.api.predictor.v1.EmbedResponse;
import dev.qwm.api.predictor.v1.OpenSessionRequest;
import dev.qwm.api.predictor.v1.OpenSessionResponse;
import dev.qwm.api.predictor.v1.PredictorServiceGrpc.PredictorServiceBlockingStub;
import dev.qwm.api.predictor.v1.RolloutRequest;
import dev.qwm.api.predictor.v1.RolloutResponse;
import dev.qwm.env.FrameStyle;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.ActionNormalization;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Objective;
import dev.qwm.planning.Observation;
import dev.qwm.planning.WorldModel;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The planning library's {@link WorldModel} over the predictor service: encoding is the stateless {@code Embed},
 * and each plan's start and goal become one rollout session (the service encodes them once, through the encoder
 * service, and keeps them), so that every CEM step is one {@code Rollout} call carrying only the candidates.
 * Not thread-safe: one instance per episode worker.
 */
public final class RemoteWorldModel implements WorldModel {

    private final PredictorServiceBlockingStub stub;
    private final ArtifactRef encoder;
    private final ArtifactRef predictor;
    private final BundleManifest manifest;
    private final ActionNormalization normalization;
    private final RolloutDeadline deadline;
    private final PredictorRetry retry;
    /** The observation behind each latent this model returned in this episode, so that a session can be opened from them. */
    private final Map<Latent, Observation> observations = new IdentityHashMap<>();

    private RunEnvironment ranOn;
    private RunEnvironment encoderRanOn;
    private String sessionId;
    private Latent sessionStart;
    private Latent sessionGoal;
    private double sessionAlpha = Double.NaN;
    private double gflopPerCandidateStep;

    /**
     * @param manifest the predictor bundle's model.json (action normalisation, dimensions)
     */
    public RemoteWorldModel(PredictorServiceBlockingStub stub, ArtifactRef encoder, ArtifactRef predictor,
                            BundleManifest manifest, RolloutDeadline deadline) {
        this(stub, encoder, predictor, manifest, deadline, new PredictorRetry(1, Duration.ZERO, Duration.ZERO, d -> { }));
    }

    /**
     * @param retry how Embed, OpenSession and Rollout are tried again when the predictor is busy (RESOURCE_EXHAUSTED),
     *              away (UNAVAILABLE) or has lost the session (it restarted): an episode goes on where it was
     */
    public RemoteWorldModel(PredictorServiceBlockingStub stub, ArtifactRef encoder, ArtifactRef predictor,
                            BundleManifest manifest, RolloutDeadline deadline, PredictorRetry retry) {
        this.stub = stub;
        this.encoder = encoder;
        this.predictor = predictor;
        this.manifest = manifest;
        this.normalization = new ActionNormalization(manifest.actionMean(), manifest.actionStd(), manifest.frameskip());
        this.deadline = deadline;
        this.retry = retry;
    }

    private PredictorServiceBlockingStub call() {
        return call(deadline.base());
    }

    private PredictorServiceBlockingStub call(Duration after) {
        return stub.withDeadlineAfter(after.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public String reference() {
        return "encoder " + describe(encoder) + " + predictor " + describe(predictor) + " (predictor service)";
    }

    private static String describe(ArtifactRef ref) {
        String sha = ref.getSha256().length() >= 12 ? ref.getSha256().substring(0, 12) : ref.getSha256();
        return (ref.getLabel().isBlank() ? ref.getBundle() : ref.getLabel()) + (sha.isEmpty() ? "" : "@" + sha);
    }

    @Override
    public String environment() {
        return manifest.environment();
    }

    @Override
    public int actionDim() {
        return manifest.actionDim();
    }

    @Override
    public ActionNormalization actionNormalization() {
        return normalization;
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
        EmbedRequest request = EmbedRequest.newBuilder().setEncoder(encoder).setPredictor(predictor)
                .setObservation(toProto(observation)).build();
        EmbedResponse r = retry.call(() -> call().embed(request));
        Latent latent = new Latent(RolloutTensors.toFloats(r.getVisualLatents()), RolloutTensors.toFloats(r.getProprioEmbeddings()));
        // Every latent of the episode may start a session later (the episode's first one is the start of the MPC
        // divergence rollouts), so none is dropped; one model serves one episode, so this is bounded by its budget
        // (1 + max_iter x (1 + opt_steps) frames of 12 KB for the shipped 64x64 models) and cleared on close().
        observations.put(latent, observation);
        return latent;
    }

    @Override
    public Latent[] rollout(Latent start, ActionBatch actions) {
        RolloutResponse r = rolloutCall(start, sessionGoal != null ? sessionGoal : start,
                Double.isNaN(sessionAlpha) ? 1.0 : sessionAlpha, actions, true);
        float[] visual = RolloutTensors.toFloats(r.getFinalVisualLatents());
        float[] proprio = RolloutTensors.toFloats(r.getFinalProprioEmbeddings());
        int b = actions.batch();
        int v = visual.length / b;
        int p = proprio.length / b;
        Latent[] out = new Latent[b];
        for (int i = 0; i < b; i++) {
            out[i] = new Latent(java.util.Arrays.copyOfRange(visual, i * v, (i + 1) * v),
                    java.util.Arrays.copyOfRange(proprio, i * p, (i + 1) * p));
        }
        return out;
    }

    @Override
    public double[] score(Latent start, Latent goal, ActionBatch actions, Objective objective) {
        RolloutResponse r = rolloutCall(start, goal, objective.alpha(), actions, false);
        double[] losses = new double[r.getLossesCount()];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = r.getLosses(i);
        }
        return losses;
    }

    private RolloutResponse rolloutCall(Latent start, Latent goal, double alpha, ActionBatch actions, boolean latents) {
        RolloutRequest.Builder request = RolloutRequest.newBuilder()
                .setActions(RolloutTensors.floats(actions.data(), actions.batch(), actions.horizon(), actions.actionDim()))
                .setReturnFinalLatents(latents);
        return retry.call(() -> {
            ensureSession(start, goal, alpha);
            try {
                return call(deadline.forRollout(gflopPerCandidateStep, actions.batch(), actions.horizon()))
                        .rollout(request.setSessionId(sessionId).build());
            } catch (io.grpc.StatusRuntimeException e) {
                if (e.getStatus().getCode() == io.grpc.Status.Code.NOT_FOUND) {
                    // the predictor no longer has the session (it restarted, or dropped it idle): open it again
                    sessionId = null;
                    throw new PredictorRetry.SessionLost(e);
                }
                throw e;
            }
        });
    }

    private void ensureSession(Latent start, Latent goal, double alpha) {
        if (sessionId != null && start == sessionStart && goal == sessionGoal && alpha == sessionAlpha) {
            return;
        }
        Observation startObs = observations.get(start);
        Observation goalObs = observations.get(goal);
        if (startObs == null || goalObs == null) {
            throw new IllegalStateException("the start and goal latents must come from this model's encode()");
        }
        closeSession();
        OpenSessionRequest open = OpenSessionRequest.newBuilder()
                .setEncoder(encoder).setPredictor(predictor)
                .setStart(toProto(startObs)).setGoal(toProto(goalObs))
                .setObjectiveAlpha((float) alpha)
                .build();
        OpenSessionResponse opened = retry.call(() -> call().openSession(open));
        sessionId = opened.getSessionId();
        gflopPerCandidateStep = opened.getGflopPerCandidateStep();
        if (opened.hasRanOn()) {
            ranOn = opened.getRanOn();
        }
        if (opened.hasEncoderRanOn()) {
            encoderRanOn = opened.getEncoderRanOn();
        }
        sessionStart = start;
        sessionGoal = goal;
        sessionAlpha = alpha;
    }

    private static dev.qwm.api.predictor.v1.Observation toProto(Observation o) {
        return dev.qwm.api.predictor.v1.Observation.newBuilder()
                .setImages(RolloutTensors.bytes(o.image(), 1, o.imageSize(), o.imageSize(), 3))
                .setProprio(RolloutTensors.floats(o.proprio(), 1, o.proprio().length))
                .build();
    }

    private void closeSession() {
        if (sessionId != null) {
            try {
                call().closeSession(CloseSessionRequest.newBuilder().setSessionId(sessionId).build());
            } catch (RuntimeException expiredOrGone) {
                // the service drops idle sessions by itself
            }
            sessionId = null;
        }
    }

    /** Where the predictor service computed the rollouts (from its last session), or null if it did not say. */
    public RunEnvironment ranOn() {
        return ranOn;
    }

    /** Where the encoder service computed the session's latents (as the predictor passed it on), or null. */
    public RunEnvironment encoderRanOn() {
        return encoderRanOn;
    }

    @Override
    public void close() {
        closeSession();
        observations.clear();
    }
}
