package dev.qwm.predictor.service;

import com.google.protobuf.ByteString;
import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.DataType;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.api.common.v1.Tensor;
import dev.qwm.api.predictor.v1.EmbedRequest;
import dev.qwm.api.predictor.v1.EmbedResponse;
import dev.qwm.api.predictor.v1.Observation;
import dev.qwm.api.predictor.v1.OpenSessionRequest;
import dev.qwm.api.predictor.v1.OpenSessionResponse;
import dev.qwm.api.predictor.v1.RolloutRequest;
import dev.qwm.api.predictor.v1.RolloutResponse;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.BundleRoots;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Objective;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.predictor.client.VisualLatents;
import dev.qwm.predictor.config.PredictorConfig;
import dev.qwm.predictor.inference.ArtifactClosedException;
import dev.qwm.predictor.inference.LoadedPredictor;
import dev.qwm.predictor.inference.PredictorArtifacts;
import dev.qwm.predictor.mapping.Tensors;
import io.grpc.Deadline;
import io.grpc.Status;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The predictor service's work, behind the gRPC adapter: sessions that keep a start and a goal latent (visual
 * latents from the encoder service, proprio embeddings from the predictor artifact), rollouts of candidate action
 * sequences scored with DINO-WM's objective ({@code mode=last}) exactly as the in-process world model scores them,
 * and stateless embeddings.
 *
 * <p>Bad requests fail with {@link IllegalArgumentException} naming the problem; an unknown session with gRPC's
 * NOT_FOUND; too many sessions, or a Rollout beyond {@link RolloutAdmission}'s limits, with RESOURCE_EXHAUSTED; a
 * Rollout whose caller's deadline passes before it ran with DEADLINE_EXCEEDED (it is then not run at all).
 */
@ApplicationScoped
public class RolloutService {

    private static final int MAX_ATTEMPTS = 5;

    private final PredictorConfig config;
    private final PredictorArtifacts artifacts;
    private final RolloutSessions sessions;
    private final VisualLatents encoder;
    private final DistributionSummary candidatesPerCall;
    private final RolloutAdmission admission;

    public RolloutService(PredictorConfig config, PredictorArtifacts artifacts, RolloutSessions sessions,
                          VisualLatents encoder, MeterRegistry registry) {
        this.config = config;
        this.artifacts = artifacts;
        this.sessions = sessions;
        this.encoder = encoder;
        this.candidatesPerCall = DistributionSummary.builder("qwm.predictor.rollout.candidates")
                .description("candidates per Rollout call").register(registry);
        this.admission = new RolloutAdmission(config.maxRolloutsPerSession(), config.maxQueuedCandidateSteps());
        registry.gauge("qwm.predictor.queued.candidate.steps", admission, RolloutAdmission::candidateSteps);
    }

    public OpenSessionResponse openSession(OpenSessionRequest request) {
        Objective objective = new Objective(request.getObjectiveAlpha());
        Duration ttl = ttl(request.getTtlSeconds());
        sessions.requireCapacity();
        LoadedPredictor predictor = predictor(request.getEncoder(), request.hasEncoder(), request.getPredictor(),
                request.hasPredictor());
        BundleManifest manifest = predictor.manifest();
        Frames start = frames(request.getStart(), "start", manifest, 1, 1);
        Frames goal = frames(request.getGoal(), "goal", manifest, 1, 1);

        // start and goal in one Encode call
        Tensor images = Tensor.newBuilder().setDataType(DataType.DATA_TYPE_UINT8)
                .addShape(2).addShape(manifest.imageSize()).addShape(manifest.imageSize()).addShape(3)
                .setData(ByteString.copyFrom(Arrays.asList(start.images(), goal.images()))).build();
        VisualLatents.Encoded latents = encode(request.getEncoder(), images, 2, manifest);
        int visual = manifest.numPatches() * manifest.latentDim();
        Latent startLatent = new Latent(Arrays.copyOfRange(latents.values(), 0, visual),
                predictor.embedProprio(start.proprio(), 1));
        Latent goalLatent = new Latent(Arrays.copyOfRange(latents.values(), visual, 2 * visual),
                predictor.embedProprio(goal.proprio(), 1));

        ArtifactRef predictorRef = ArtifactRef.newBuilder().setSha256(predictor.sha256()).setBundle(predictor.bundle())
                .setLabel(predictor.label()).setComponent(ModelComponent.MODEL_COMPONENT_PREDICTOR).build();
        RolloutSession session = sessions.open(request.getEncoder(), predictorRef, manifest.actionDim(), startLatent,
                goalLatent, objective, ttl);
        OpenSessionResponse.Builder response = OpenSessionResponse.newBuilder().setSessionId(session.id())
                .setHorizonLimit(config.maxHorizon()).setMaxCandidates(config.maxCandidates())
                .setRanOn(ranOn(artifacts.runEnvironment()))
                .setGflopPerCandidateStep(predictor.gflopPerCandidateStep());
        if (latents.ranOn() != null) {
            response.setEncoderRanOn(latents.ranOn());
        }
        return response.build();
    }

    /** Where a model computed, as the wire carries it. */
    public static dev.qwm.api.common.v1.RunEnvironment ranOn(dev.qwm.onnx.runtime.RunEnvironment env) {
        return dev.qwm.api.common.v1.RunEnvironment.newBuilder().setCpuModel(env.cpu()).setCpuClass(env.cpuClass())
                .setCpuFeatures(env.cpuFeatures()).setOnnxRuntime(env.onnxRuntime())
                .setExecutionProvider(env.executionProvider()).setThreads(env.threads()).build();
    }

    public RolloutResponse rollout(RolloutRequest request) {
        return rollout(request, null);
    }

    /**
     * @param deadline the caller's (null: none): once it has passed, the rollout is not started, and the call fails
     *                 with DEADLINE_EXCEEDED
     */
    public RolloutResponse rollout(RolloutRequest request, Deadline deadline) {
        RolloutSession session = sessions.use(request.getSessionId());
        ActionBatch actions = actions(request.getActions(), session.actionDim());
        candidatesPerCall.record(actions.batch());
        LoadedPredictor predictor = null;
        float[] frames = null;
        try (RolloutAdmission.Ticket admitted = admission.admit(session.id(), (long) actions.batch() * actions.horizon())) {
            for (int attempt = 1; frames == null; attempt++) {
                requireTimeLeft(deadline);
                predictor = artifacts.get(session.predictor());
                try {
                    frames = await(predictor.rollout(session.id(), session.start(), actions, deadline), deadline);
                } catch (ArtifactClosedException evictedMeanwhile) {
                    // another artifact's load evicted this one between get and rollout: get reloads it
                    if (attempt == MAX_ATTEMPTS) {
                        throw Status.UNAVAILABLE.withDescription("predictor artifact " + session.predictor().getLabel()
                                + " was evicted " + MAX_ATTEMPTS + " times in a row; predictor.max-loaded ("
                                + config.maxLoaded() + ") is too small for the artifacts in use").asRuntimeException();
                    }
                }
            }
        }
        RolloutResponse.Builder response = RolloutResponse.newBuilder();
        for (int b = 0; b < actions.batch(); b++) {
            double loss = predictor.loss(frames, b, session.goal(), session.objective());
            response.addLosses(loss);
        }
        if (request.getReturnFinalLatents()) {
            BundleManifest m = predictor.manifest();
            int visual = m.numPatches() * m.latentDim();
            float[] latents = new float[actions.batch() * visual];
            float[] proprio = new float[actions.batch() * m.proprioEmbDim()];
            for (int b = 0; b < actions.batch(); b++) {
                Latent last = predictor.finalLatent(frames, b);
                System.arraycopy(last.visual(), 0, latents, b * visual, visual);
                System.arraycopy(last.proprio(), 0, proprio, b * m.proprioEmbDim(), m.proprioEmbDim());
            }
            response.setFinalVisualLatents(Tensors.of(latents, actions.batch(), m.numPatches(), m.latentDim()));
            response.setFinalProprioEmbeddings(Tensors.of(proprio, actions.batch(), m.proprioEmbDim()));
        }
        sessions.use(session.id());
        return response.build();
    }

    public EmbedResponse embed(EmbedRequest request) {
        LoadedPredictor predictor = predictor(request.getEncoder(), request.hasEncoder(), request.getPredictor(),
                request.hasPredictor());
        BundleManifest manifest = predictor.manifest();
        Frames obs = frames(request.getObservation(), "observation", manifest, 1, config.maxCandidates());
        VisualLatents.Encoded latents = encode(request.getEncoder(), request.getObservation().getImages(),
                obs.count(), manifest);
        float[] proprio = predictor.embedProprio(obs.proprio(), obs.count());
        return EmbedResponse.newBuilder()
                .setVisualLatents(Tensors.of(latents.values(), obs.count(), latents.patches(), latents.dim()))
                .setProprioEmbeddings(Tensors.of(proprio, obs.count(), manifest.proprioEmbDim()))
                .build();
    }

    /** Closes the session; whether it was open. */
    public boolean closeSession(String id) {
        return sessions.close(id);
    }

    // ---------------------------------------------------------------------------------------------- validation

    private Duration ttl(int seconds) {
        if (seconds < 0) {
            throw new IllegalArgumentException("ttl_seconds must be >= 0 (0 takes the default "
                    + config.sessionTtl().toSeconds() + " s), got " + seconds);
        }
        Duration ttl = seconds == 0 ? config.sessionTtl() : Duration.ofSeconds(seconds);
        if (ttl.compareTo(config.maxSessionTtl()) > 0) {
            throw new IllegalArgumentException("ttl_seconds " + seconds + " exceeds this service's limit of "
                    + config.maxSessionTtl().toSeconds() + " s (predictor.max-session-ttl)");
        }
        return ttl;
    }

    /** The predictor a request names, loaded, once its encoder reference is checked and found to fit it. */
    private LoadedPredictor predictor(ArtifactRef encoder, boolean hasEncoder, ArtifactRef predictor,
                                      boolean hasPredictor) {
        requireEncoderRef(encoder, hasEncoder);
        if (!hasPredictor) {
            throw new IllegalArgumentException("predictor: the request names no predictor artifact");
        }
        LoadedPredictor loaded = artifacts.get(predictor);
        requireCompatible(encoder, loaded.manifest(), artifacts.roots());
        return loaded;
    }

    private static void requireEncoderRef(ArtifactRef ref, boolean present) {
        if (!present || (ref.getBundle().isBlank() && ref.getSha256().isBlank())) {
            throw new IllegalArgumentException("encoder: the request names no encoder artifact (bundle or sha256)");
        }
        if (ref.getComponent() != ModelComponent.MODEL_COMPONENT_UNSPECIFIED
                && ref.getComponent() != ModelComponent.MODEL_COMPONENT_ENCODER) {
            throw new IllegalArgumentException("the encoder artifact reference names component " + ref.getComponent());
        }
    }

    /**
     * With a bundle in the encoder reference, its manifest must fit the predictor (environment, image size,
     * latents); a sha256-only reference is checked by the shape of the latents the encoder returns.
     */
    private static void requireCompatible(ArtifactRef encoderRef, BundleManifest predictor, BundleRoots roots) {
        if (encoderRef.getBundle().isBlank()) {
            return;
        }
        BundleManifest encoder;
        try {
            encoder = ModelBundle.parseManifest(roots.resolve(encoderRef.getBundle(), "encoder bundle")
                    .resolve(ModelBundle.MANIFEST_FILE));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot read the encoder's bundle " + encoderRef.getBundle() + ": "
                    + e.getMessage(), e);
        }
        String sha = encoder.components().containsKey(BundleManifest.VISUAL_ENCODER)
                ? encoder.components().get(BundleManifest.VISUAL_ENCODER).sha256() : "";
        if (!encoderRef.getSha256().isBlank() && !encoderRef.getSha256().equals(sha)) {
            throw new IllegalArgumentException("bundle " + encoderRef.getBundle() + " holds visual encoder " + sha
                    + ", not the requested " + encoderRef.getSha256());
        }
        OnnxWorldModel.requireCompatible(encoder, predictor);
    }

    private VisualLatents.Encoded encode(ArtifactRef ref, Tensor images, int frames, BundleManifest predictor) {
        VisualLatents.Encoded latents = encoder.encode(ref, images);
        if (latents.frames() != frames || latents.patches() != predictor.numPatches()
                || latents.dim() != predictor.latentDim()) {
            throw new IllegalArgumentException("the encoder returned latents [" + latents.frames() + ", "
                    + latents.patches() + ", " + latents.dim() + "] for " + frames + " frames, but predictor "
                    + predictor.name() + " reads [" + predictor.numPatches() + ", " + predictor.latentDim()
                    + "] per frame: the encoder cannot feed this predictor");
        }
        return latents;
    }

    /** An observation's frames, checked against the predictor's image size and proprio dimension. */
    private record Frames(int count, ByteString images, float[] proprio) {
    }

    private static Frames frames(Observation obs, String what, BundleManifest m, int minFrames, int maxFrames) {
        int s = m.imageSize();
        String imageLayout = "[frames, " + s + ", " + s + ", 3]";
        Tensors.requireBytes(obs.getImages(), what + ".images", 4, imageLayout);
        Tensor images = obs.getImages();
        if (images.getShape(1) != s || images.getShape(2) != s || images.getShape(3) != 3) {
            throw new IllegalArgumentException(what + ".images has shape " + images.getShapeList() + "; model "
                    + m.name() + " reads " + imageLayout);
        }
        int frames = (int) images.getShape(0);
        if (frames < minFrames || frames > maxFrames) {
            throw new IllegalArgumentException(what + " has " + frames + " frames; "
                    + (minFrames == maxFrames ? "exactly " + minFrames + " expected (the rollout starts from one"
                    + " frame, as DINO-WM's)" : minFrames + ".." + maxFrames + " accepted"));
        }
        float[] proprio = Tensors.floats(obs.getProprio(), what + ".proprio", 2, "[frames, " + m.proprioDim() + "]");
        if (obs.getProprio().getShape(0) != frames || obs.getProprio().getShape(1) != m.proprioDim()) {
            throw new IllegalArgumentException(what + ".proprio has shape " + obs.getProprio().getShapeList()
                    + "; expected [" + frames + ", " + m.proprioDim() + "] (one raw proprio vector per image)");
        }
        return new Frames(frames, images.getData(), proprio);
    }

    private ActionBatch actions(Tensor t, int actionDim) {
        float[] data = Tensors.floats(t, "actions", 3, "[candidates, horizon, " + actionDim + "]");
        long candidates = t.getShape(0);
        long horizon = t.getShape(1);
        if (candidates > config.maxCandidates()) {
            throw new IllegalArgumentException("actions carry " + candidates + " candidates; this service accepts"
                    + " 1.." + config.maxCandidates() + " per call (predictor.max-candidates)");
        }
        if (horizon > config.maxHorizon()) {
            throw new IllegalArgumentException("actions have horizon " + horizon + "; this service accepts 1.."
                    + config.maxHorizon() + " (predictor.max-horizon)");
        }
        if (candidates * horizon > config.maxCandidateSteps()) {
            throw new IllegalArgumentException("actions carry " + candidates + " candidates x horizon " + horizon + " = "
                    + candidates * horizon + " candidate steps; this service accepts at most " + config.maxCandidateSteps()
                    + " per call (predictor.max-candidate-steps)");
        }
        if (t.getShape(2) != actionDim) {
            throw new IllegalArgumentException("actions have " + t.getShape(2) + " values per macro action; the"
                    + " session's predictor takes " + actionDim + " (normalized, env action dim x frameskip)");
        }
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                int perCandidate = (int) horizon * actionDim;
                throw new IllegalArgumentException("actions[" + i / perCandidate + ", " + (i % perCandidate) / actionDim
                        + ", " + i % actionDim + "] is " + data[i] + "; actions must be finite");
            }
        }
        return new ActionBatch((int) candidates, (int) horizon, actionDim, data);
    }

    private static void requireTimeLeft(Deadline deadline) {
        if (deadline != null && deadline.isExpired()) {
            throw Status.DEADLINE_EXCEEDED.withDescription("the call's deadline passed before its rollout was queued;"
                    + " it was not run").asRuntimeException();
        }
    }

    private static float[] await(CompletableFuture<float[]> frames, Deadline deadline) {
        try {
            return deadline == null ? frames.get()
                    : frames.get(Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS)), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            frames.cancel(false); // still queued: dropped unrun
            throw Status.DEADLINE_EXCEEDED.withDescription("the call's deadline passed while its rollout was queued"
                    + " or running; the caller has given up on it").asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the rollout", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("the rollout failed: " + e.getCause(), e.getCause());
        }
    }
}
