package dev.qwm.planner.worker;

import dev.qwm.env.EnvironmentKind;
import dev.qwm.api.common.v1.PlannerBudget;
import dev.qwm.api.common.v1.RunEnvironment;
import dev.qwm.api.events.v1.EpisodeCompleted;
import dev.qwm.api.events.v1.EpisodeProgress;
import dev.qwm.api.events.v1.EpisodeRequested;
import dev.qwm.api.predictor.v1.PredictorServiceGrpc.PredictorServiceBlockingStub;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.planner.client.PredictorRetry;
import dev.qwm.planner.client.RemoteWorldModel;
import dev.qwm.planner.client.RolloutDeadline;
import dev.qwm.planner.config.PlannerConfig;
import dev.qwm.planner.messaging.EventPublisher;
import dev.qwm.planner.messaging.PendingSends;
import dev.qwm.planning.DataSplit;
import dev.qwm.planning.cem.CemPlanner;
import dev.qwm.planning.eval.EpisodeSource;
import dev.qwm.planning.eval.EpisodeSources;
import dev.qwm.planning.mpc.CemStepMetrics;
import dev.qwm.planning.mpc.EpisodeResult;
import dev.qwm.planning.mpc.EpisodeSpec;
import dev.qwm.planning.mpc.MpcEpisodeRunner;
import dev.qwm.planning.mpc.MpcIterationMetrics;
import dev.qwm.planning.mpc.PlanningListener;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Runs one requested episode: MPC with CEM against the predictor service, the real simulator stepped here, progress
 * published per CEM step and per MPC iteration, and the completion returned for publishing. Each run is a new
 * attempt (its own attempt id): a redelivered episode is planned again, and the collector keeps the first completion.
 */
@ApplicationScoped
public class EpisodeWorker {

    private static final Logger LOG = Logger.getLogger(EpisodeWorker.class);

    /** An episode request that can never be planned (bad budget, unknown environment, unreadable bundle). */
    public static final class InvalidEpisodeException extends RuntimeException {
        InvalidEpisodeException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final PredictorServiceBlockingStub predictor;
    private final PlannerConfig config;
    private final EventPublisher publisher;
    private final MeterRegistry registry;
    private final Map<String, EpisodeSource> sources = new ConcurrentHashMap<>();
    private final Map<String, BundleManifest> manifests = new ConcurrentHashMap<>();

    public EpisodeWorker(@GrpcClient("predictor") PredictorServiceBlockingStub predictor, PlannerConfig config,
                         EventPublisher publisher, MeterRegistry registry) {
        this.predictor = predictor;
        this.config = config;
        this.publisher = publisher;
        this.registry = registry;
    }

    public EpisodeCompleted run(EpisodeRequested request) {
        Prepared p = prepare(request);
        String attempt = UUID.randomUUID().toString();
        String key = key(request);
        LOG.infof("episode %s attempt %s: %s, %s", key, attempt, request.getConfiguration(), request.getSeeding());
        PendingSends progressSent = new PendingSends("progress events of episode " + key + " attempt " + attempt);
        PlanningListener listener = new PlanningListener() {
            @Override
            public void onCemStep(EpisodeSpec episode, CemStepMetrics m) {
                send(EpisodeProgress.newBuilder()
                        .setCemStep(dev.qwm.api.events.v1.CemStepMetrics.newBuilder()
                                .setMpcIteration(m.mpcIteration()).setCemStep(m.cemStep())
                                .setBestLoss((float) m.bestLoss()).setSuccess(m.success())
                                .setStateDistance((float) m.stateDistance())
                                .setVisualDivergence((float) m.visualDivergence())
                                .setProprioDivergence((float) m.proprioDivergence())));
            }

            @Override
            public void onMpcIteration(EpisodeSpec episode, MpcIterationMetrics m) {
                send(EpisodeProgress.newBuilder()
                        .setMpcIteration(dev.qwm.api.events.v1.MpcIterationMetrics.newBuilder()
                                .setMpcIteration(m.mpcIteration()).setSuccess(m.success())
                                .setStateDistance((float) m.stateDistance()).setBestLoss((float) m.bestLoss())
                                .setVisualDivergence((float) m.visualDivergence())
                                .setProprioDivergence((float) m.proprioDivergence())
                                .setEnvSteps(m.envSteps()).setPlanningMs(m.planningNanos() / 1_000_000)));
            }

            /** A progress event of this attempt, under an event id of its own. */
            private void send(EpisodeProgress.Builder event) {
                String eventId = UUID.randomUUID().toString();
                progressSent.add(publisher.progress(key, eventId, event.setEventId(eventId)
                        .setEpisodeId(request.getEpisodeId()).setAttemptId(attempt).build()));
            }
        };
        EpisodeResult result;
        RunEnvironment ranOn;
        RunEnvironment encoderRanOn;
        try (RemoteWorldModel model = new RemoteWorldModel(predictor, request.getEncoder(), request.getPredictor(),
                p.manifest(), new RolloutDeadline(config.rolloutDeadline(), config.rolloutMinGflops()),
                PredictorRetry.sleeping(config.predictorRetries(),
                        config.predictorRetryBackoff(), config.predictorRetryMaxBackoff()))) {
            MpcEpisodeRunner runner = new MpcEpisodeRunner(model, new CemPlanner(), p.budget(),
                    p.source()::newEnvironment, request.getEvaluateCemSteps());
            result = runner.run(p.spec(), request.getPlannerSeed(), listener);
            ranOn = model.ranOn();
            encoderRanOn = model.encoderRanOn();
        }
        // no completion without its progress rows: a lost one fails this attempt, and the episode is planned again
        progressSent.awaitAll(config.progressAckTimeout());
        registry.counter("qwm.planner.episodes", "success", Boolean.toString(result.success())).increment();
        registry.timer("qwm.planner.cem.step").record(java.time.Duration.ofNanos((long) (result.meanCemStepMs() * 1e6)));
        EpisodeCompleted.Builder completed = EpisodeCompleted.newBuilder();
        if (ranOn != null) {
            completed.setRanOn(ranOn);
        }
        if (encoderRanOn != null) {
            completed.setEncoderRanOn(encoderRanOn);
        }
        return completed
                .setEventId(UUID.randomUUID().toString())
                .setEpisodeId(request.getEpisodeId()).setAttemptId(attempt).setWorkerId(config.workerId())
                .setEnvironment(request.getEnvironment())
                .setEncoder(request.getEncoder()).setPredictor(request.getPredictor())
                .setBudget(request.getBudget()).setSeeding(request.getSeeding())
                .setConfiguration(request.getConfiguration())
                .setSuccess(result.success()).setSuccessIteration(result.successIteration())
                .setFinalStateDistance((float) result.finalStateDistance())
                .setFinalBestLoss((float) result.finalBestLoss())
                .setMpcIterations(result.mpcIterations()).setWallTimeMs(result.wallTimeMs())
                .setMeanCemStepMs((float) result.meanCemStepMs())
                .setCompletedAtUnixMs(System.currentTimeMillis())
                .build();
    }

    public static String key(EpisodeRequested request) {
        return request.getEpisodeId().getStudyId().getValue() + "/" + request.getEpisodeId().getIndex();
    }

    record Prepared(BundleManifest manifest, dev.qwm.planning.PlannerBudget budget, EpisodeSource source,
                    EpisodeSpec spec) {
    }

    /** Everything that must hold before planning starts; a violation makes the request invalid for good. */
    Prepared prepare(EpisodeRequested r) {
        try {
            if (r.getEpisodeId().getStudyId().getValue().isBlank() || r.getEpisodeId().getIndex() < 0) {
                throw new IllegalArgumentException("episode id is missing or negative");
            }
            String env = switch (r.getEnvironment()) {
                case ENVIRONMENT_ID_WALL -> EnvironmentKind.WALL.cliName();
                case ENVIRONMENT_ID_PUSHT -> EnvironmentKind.PUSHT.cliName();
                default -> throw new IllegalArgumentException("unknown environment " + r.getEnvironment());
            };
            if (r.getPredictor().getBundle().isBlank() || r.getEncoder().getBundle().isBlank()) {
                throw new IllegalArgumentException("encoder and predictor references must name their bundles");
            }
            BundleManifest manifest = manifests.computeIfAbsent(r.getPredictor().getBundle(),
                    b -> ModelBundle.parseManifest(Path.of(b).resolve(ModelBundle.MANIFEST_FILE)));
            if (!manifest.environment().equals(env)) {
                throw new IllegalArgumentException("predictor bundle " + manifest.name() + " is for "
                        + manifest.environment() + ", the episode is " + env);
            }
            BundleManifest encoder = manifests.computeIfAbsent(r.getEncoder().getBundle(),
                    b -> ModelBundle.parseManifest(Path.of(b).resolve(ModelBundle.MANIFEST_FILE)));
            if (!encoder.frameStyle().equals(manifest.frameStyle())) {
                throw new IllegalArgumentException("encoder bundle " + encoder.name() + " reads " + encoder.frameStyle()
                        + " frames, predictor bundle " + manifest.name() + " " + manifest.frameStyle() + " frames");
            }
            PlannerBudget b = r.getBudget();
            var budget = new dev.qwm.planning.PlannerBudget(b.getHorizon(), b.getSamples(), b.getTopK(),
                    b.getVarScale(), b.getOptSteps(), b.getMaxIter(), b.getObjectiveAlpha(), b.getExecutedActions());
            // one source per environment and frame style: a bundle's episodes draw the frames it was trained on
            EpisodeSource source = sources.computeIfAbsent(env + "/" + manifest.frameStyle(),
                    k -> EpisodeSources.forBundle(manifest,
                            config.datasets().containsKey(env) ? Path.of(config.datasets().get(env)) : null));
            DataSplit split = switch (r.getSeeding().getSplit()) {
                case DATA_SPLIT_TRAIN -> DataSplit.TRAIN;
                case DATA_SPLIT_VALIDATION -> DataSplit.VALIDATION;
                default -> throw new IllegalArgumentException("episode seeding names no data split");
            };
            EpisodeSpec spec = source.episode(r.getEpisodeId().getIndex(), r.getSeeding().getSeed(), split);
            return new Prepared(manifest, budget, source, spec);
        } catch (RuntimeException e) {
            throw new InvalidEpisodeException("episode request " + key(r) + " cannot be planned: " + e.getMessage(), e);
        }
    }

}
