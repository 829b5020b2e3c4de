package dev.qwm.collector;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.DataSplit;
import dev.qwm.api.common.v1.EnvironmentId;
import dev.qwm.api.common.v1.EpisodeId;
import dev.qwm.api.common.v1.EpisodeSeeding;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.api.common.v1.PlannerBudget;
import dev.qwm.api.common.v1.RunEnvironment;
import dev.qwm.api.common.v1.StudyId;
import dev.qwm.api.events.v1.ArtifactCreated;
import dev.qwm.api.events.v1.CemStepMetrics;
import dev.qwm.api.events.v1.EpisodeCompleted;
import dev.qwm.api.events.v1.EpisodeProgress;
import dev.qwm.api.events.v1.EpisodeRequested;
import dev.qwm.api.events.v1.MpcIterationMetrics;
import dev.qwm.api.events.v1.StudySubmitted;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * The events that a planner fleet would publish for one small study, with distinct random ids and seeded random
 * metrics: a study, its episode requests, per-attempt progress (MPC iterations and CEM steps), completions, and the
 * two artifacts the episodes use.
 */
final class StudyEvents {

    final String studyId = "study-" + UUID.randomUUID();
    final StudySubmitted study;
    final ArtifactCreated encoderArtifact;
    final ArtifactCreated predictorArtifact;
    final List<EpisodeRequested> requests = new ArrayList<>();
    final List<EpisodeProgress> progress = new ArrayList<>();
    final List<EpisodeCompleted> completions = new ArrayList<>();

    private final Random random;
    private final PlannerBudget budget = PlannerBudget.newBuilder().setHorizon(5).setSamples(300).setTopK(30)
            .setVarScale(1f).setOptSteps(3).setMaxIter(50).setObjectiveAlpha(1f).setExecutedActions(5).build();

    /**
     * @param episodes       episodes of the study
     * @param mpcIterations  MPC iterations per episode
     * @param cemSteps       CEM steps per MPC iteration
     */
    StudyEvents(long seed, int episodes, int mpcIterations, int cemSteps) {
        random = new Random(seed);
        encoderArtifact = artifact(ModelComponent.MODEL_COMPONENT_ENCODER, "wall-fp32/encoder", null);
        predictorArtifact = artifact(ModelComponent.MODEL_COMPONENT_PREDICTOR, "wall-w4a16-g128/rtn",
                artifact(ModelComponent.MODEL_COMPONENT_PREDICTOR, "wall-fp32/predictor", null).getArtifact());
        study = StudySubmitted.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setStudyId(StudyId.newBuilder().setValue(studyId))
                .setName("collector test " + seed)
                .setSpecJson("{\"environment\": \"wall\", \"episodes\": " + episodes + ", \"budget\": {\"opt_steps\": 3}}")
                .setEpisodeCount(episodes)
                .setSubmittedAtUnixMs(1_790_000_000_000L + seed)
                .build();
        for (int index = 0; index < episodes; index++) {
            EpisodeRequested request = request(index);
            requests.add(request);
            String attempt = "attempt-" + UUID.randomUUID();
            progress.addAll(attemptProgress(index, attempt, mpcIterations, cemSteps));
            completions.add(completion(request, attempt, mpcIterations));
        }
    }

    EpisodeId episodeId(int index) {
        return EpisodeId.newBuilder().setStudyId(StudyId.newBuilder().setValue(studyId)).setIndex(index).build();
    }

    EpisodeRequested request(int index) {
        return EpisodeRequested.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setEpisodeId(episodeId(index))
                .setEnvironment(EnvironmentId.ENVIRONMENT_ID_WALL)
                .setEncoder(encoderArtifact.getArtifact())
                .setPredictor(predictorArtifact.getArtifact())
                .setBudget(budget)
                .setSeeding(EpisodeSeeding.newBuilder().setSeed(99L * index + 1).setSeedBase(99).setSeedOffset(1)
                        .setSplit(DataSplit.DATA_SPLIT_VALIDATION))
                .setConfiguration("predictor/w4a16-g128/rtn")
                .build();
    }

    /** Progress of one attempt: per MPC iteration its CEM steps, then the iteration itself. */
    List<EpisodeProgress> attemptProgress(int index, String attempt, int mpcIterations, int cemSteps) {
        List<EpisodeProgress> events = new ArrayList<>();
        for (int it = 0; it < mpcIterations; it++) {
            for (int step = 0; step < cemSteps; step++) {
                events.add(EpisodeProgress.newBuilder()
                        .setEventId(UUID.randomUUID().toString())
                        .setEpisodeId(episodeId(index))
                        .setAttemptId(attempt)
                        .setCemStep(CemStepMetrics.newBuilder().setMpcIteration(it).setCemStep(step)
                                .setBestLoss(random.nextFloat()).setSuccess(random.nextBoolean())
                                .setStateDistance(10 * random.nextFloat()).setVisualDivergence(random.nextFloat())
                                .setProprioDivergence(random.nextFloat()))
                        .build());
            }
            events.add(EpisodeProgress.newBuilder()
                    .setEventId(UUID.randomUUID().toString())
                    .setEpisodeId(episodeId(index))
                    .setAttemptId(attempt)
                    .setMpcIteration(MpcIterationMetrics.newBuilder().setMpcIteration(it)
                            .setSuccess(it == mpcIterations - 1).setStateDistance(10 * random.nextFloat())
                            .setBestLoss(random.nextFloat()).setVisualDivergence(random.nextFloat())
                            .setProprioDivergence(random.nextFloat()).setEnvSteps(25 * (it + 1))
                            .setPlanningMs(100 + random.nextInt(900)))
                    .build());
        }
        return events;
    }

    EpisodeCompleted completion(EpisodeRequested request, String attempt, int mpcIterations) {
        boolean success = random.nextBoolean();
        EpisodeCompleted c = EpisodeCompleted.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setEpisodeId(request.getEpisodeId())
                .setAttemptId(attempt)
                .setWorkerId("planner-" + random.nextInt(4))
                .setEnvironment(request.getEnvironment())
                .setEncoder(request.getEncoder())
                .setPredictor(request.getPredictor())
                .setBudget(request.getBudget())
                .setSeeding(request.getSeeding())
                .setConfiguration(request.getConfiguration())
                .setSuccess(success)
                .setSuccessIteration(success ? mpcIterations - 1 : -1)
                .setFinalStateDistance(10 * random.nextFloat())
                .setFinalBestLoss(random.nextFloat())
                .setMpcIterations(mpcIterations)
                .setWallTimeMs(1000 + random.nextInt(10_000))
                .setMeanCemStepMs(50 + 100 * random.nextFloat())
                .setCompletedAtUnixMs(1_790_000_100_000L + random.nextInt(1_000_000))
                .build();
        // EpisodeCompleted.ran_on is additive: even episodes carry it (two CPU classes), odd ones, like events of
        // older planners, do not
        int index = request.getEpisodeId().getIndex();
        if (index % 2 == 0) {
            RunEnvironment.Builder predictor = RunEnvironment.newBuilder()
                    .setCpuModel(index % 4 == 0 ? "Intel(R) Xeon(R) Processor" : "AMD EPYC 7B12")
                    .setCpuClass(index % 4 == 0 ? "avx512-vnni" : "avx2")
                    .setCpuFeatures(index % 4 == 0 ? "avx2+ avx512f+ avx512_vnni+" : "avx2+ avx512f- avx512_vnni-")
                    .setOnnxRuntime("1.29.0").setExecutionProvider("cpu").setThreads(1 + index % 3);
            // the encoder service on another machine of the cluster, for every fourth episode
            RunEnvironment encoder = index % 8 == 0 ? predictor.clone().setCpuModel("AMD EPYC 9B14")
                    .setCpuClass("avx512").setThreads(4).build() : predictor.build();
            return c.toBuilder().setRanOn(predictor).setEncoderRanOn(encoder).build();
        }
        return c;
    }

    private ArtifactCreated artifact(ModelComponent component, String label, ArtifactRef source) {
        byte[] sha = new byte[32];
        random.nextBytes(sha);
        ArtifactCreated.Builder b = ArtifactCreated.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setArtifact(ArtifactRef.newBuilder().setSha256(HexFormat.of().formatHex(sha)).setComponent(component)
                        .setBundle("models/" + label).setLabel(label))
                .setRecipeJson(source == null ? "" : "{\"method\": \"rtn\", \"weight_bits\": 4, \"group\": 128}")
                .setManifestJson("{\"layers\": []}")
                .setSizeBytes(1000 + random.nextInt(100_000))
                .setCreatedAtUnixMs(1_789_000_000_000L + random.nextInt(1_000_000));
        if (source != null) {
            b.setSource(source);
        }
        return b.build();
    }

    long successCount() {
        return completions.stream().filter(EpisodeCompleted::getSuccess).count();
    }

    /** Publishes every event of the study, each on its topic with its key and event-id header. */
    void publishAll(EventPublisher publisher) {
        publisher.artifactCreated(encoderArtifact);
        publisher.artifactCreated(predictorArtifact);
        publisher.studySubmitted(study);
        requests.forEach(publisher::episodeRequested);
        progress.forEach(publisher::episodeProgress);
        completions.forEach(publisher::episodeCompleted);
        publisher.flush();
    }

    int eventCount() {
        return 3 + requests.size() + progress.size() + completions.size();
    }

    /** The event id of every event of the study. */
    String[] eventIds() {
        List<String> ids = new ArrayList<>(List.of(study.getEventId(), encoderArtifact.getEventId(),
                predictorArtifact.getEventId()));
        requests.forEach(e -> ids.add(e.getEventId()));
        progress.forEach(e -> ids.add(e.getEventId()));
        completions.forEach(e -> ids.add(e.getEventId()));
        return ids.toArray(String[]::new);
    }

    long cemStepCount() {
        return progress.stream().filter(EpisodeProgress::hasCemStep).count();
    }

    long mpcIterationCount() {
        return progress.stream().filter(EpisodeProgress::hasMpcIteration).count();
    }
}
