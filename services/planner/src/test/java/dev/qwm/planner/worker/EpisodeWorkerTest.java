package dev.qwm.planner.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.DataSplit;
import dev.qwm.api.common.v1.EnvironmentId;
import dev.qwm.api.common.v1.EpisodeId;
import dev.qwm.api.common.v1.EpisodeSeeding;
import dev.qwm.api.common.v1.PlannerBudget;
import dev.qwm.api.common.v1.StudyId;
import dev.qwm.api.events.v1.EpisodeRequested;
import dev.qwm.planner.config.PlannerConfig;
import dev.qwm.planning.eval.EpisodeSources;
import dev.qwm.planning.mpc.EpisodeSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * What a worker checks before it plans (EpisodeWorker.prepare): a request it can plan becomes the bundle's manifest,
 * the library's budget and the episode the seeding names; any other is invalid for good, with the reason.
 */
class EpisodeWorkerTest {

    static final Path WALL = Path.of("../../models/wall").toAbsolutePath().normalize();
    static final Path PUSHT = Path.of("../../models/pusht").toAbsolutePath().normalize();

    /** No predictor, publisher or registry: prepare() needs none of them. */
    private final EpisodeWorker worker = new EpisodeWorker(null, config(), null, null);

    private static PlannerConfig config() {
        return new PlannerConfig() {
            @Override
            public String workerId() {
                return "test-worker";
            }

            @Override
            public Map<String, String> datasets() {
                return Map.of();
            }

            @Override
            public Duration rolloutDeadline() {
                return Duration.ofSeconds(60);
            }

            @Override
            public double rolloutMinGflops() {
                return 2;
            }

            @Override
            public int predictorRetries() {
                return 1;
            }

            @Override
            public Duration predictorRetryBackoff() {
                return Duration.ZERO;
            }

            @Override
            public Duration predictorRetryMaxBackoff() {
                return Duration.ZERO;
            }

            @Override
            public String studyTopic() {
                return "qwm.studies.study-submitted.v1";
            }

            @Override
            public String requestTopic() {
                return "qwm.planner.episode-requested.v1";
            }

            @Override
            public Duration studyPublishTimeout() {
                return Duration.ofSeconds(25);
            }

            @Override
            public Duration progressAckTimeout() {
                return Duration.ofSeconds(60);
            }
        };
    }

    private static EpisodeRequested wall(UnaryOperator<EpisodeRequested.Builder> change) {
        ArtifactRef encoder = ArtifactRef.newBuilder().setBundle(WALL.toString()).build();
        ArtifactRef predictor = ArtifactRef.newBuilder().setBundle(WALL.toString()).build();
        EpisodeRequested.Builder b = EpisodeRequested.newBuilder()
                .setEpisodeId(EpisodeId.newBuilder().setStudyId(StudyId.newBuilder().setValue("s-prepare")).setIndex(3))
                .setEnvironment(EnvironmentId.ENVIRONMENT_ID_WALL)
                .setEncoder(encoder).setPredictor(predictor)
                .setBudget(PlannerBudget.newBuilder().setHorizon(5).setSamples(40).setTopK(10).setVarScale(1)
                        .setOptSteps(3).setMaxIter(2).setObjectiveAlpha(0.1f).setExecutedActions(5))
                .setSeeding(EpisodeSeeding.newBuilder().setSeed(99 * 3 + 1).setSeedBase(99).setSeedOffset(1)
                        .setSplit(DataSplit.DATA_SPLIT_VALIDATION));
        return change.apply(b).build();
    }

    @Test
    void aRequestItCanPlanBecomesTheEpisodeItNames() {
        EpisodeWorker.Prepared p = worker.prepare(wall(b -> b));
        assertEquals("wall", p.manifest().environment());
        assertEquals(new dev.qwm.planning.PlannerBudget(5, 40, 10, 1, 3, 2, 0.1f, 5), p.budget());
        // the episode is the one the planning library draws for this index, seed and split
        EpisodeSpec expected = EpisodeSources.wall()
                .episode(3, 99 * 3 + 1, dev.qwm.planning.DataSplit.VALIDATION);
        assertEquals(3, p.spec().index());
        assertEquals(expected.seed(), p.spec().seed());
        assertEquals(expected.split(), p.spec().split());
        assertArrayEquals(expected.startState(), p.spec().startState());
        assertArrayEquals(expected.goalState(), p.spec().goalState());
    }

    @Test
    void aRequestItCanNeverPlanIsInvalidWithItsReason() {
        refused(b -> b.setEpisodeId(EpisodeId.newBuilder().setIndex(3)), "episode id is missing or negative");
        refused(b -> b.setEpisodeId(b.getEpisodeId().toBuilder().setIndex(-1)), "episode id is missing or negative");
        refused(b -> b.setEnvironment(EnvironmentId.ENVIRONMENT_ID_UNSPECIFIED), "unknown environment");
        refused(b -> b.setPredictor(ArtifactRef.getDefaultInstance()), "must name their bundles");
        refused(b -> b.setEncoder(ArtifactRef.getDefaultInstance()), "must name their bundles");
        refused(b -> b.setPredictor(ArtifactRef.newBuilder().setBundle(PUSHT.toString())),
                "is for pusht, the episode is wall");
        refused(b -> b.setBudget(b.getBudget().toBuilder().setTopK(50)), "topK (50) cannot exceed samples (40)");
        refused(b -> b.setSeeding(b.getSeeding().toBuilder().setSplit(DataSplit.DATA_SPLIT_UNSPECIFIED)),
                "names no data split");
    }

    /** models/wall's manifest declaring another frame style: prepare() reads manifests only. */
    private static Path restyled(Path dir, String style) throws java.io.IOException {
        java.nio.file.Files.createDirectories(dir);
        String json = java.nio.file.Files.readString(WALL.resolve("model.json"));
        java.nio.file.Files.writeString(dir.resolve("model.json"), json.replaceFirst("\"imageSize\"",
                "\"frameStyle\" : \"" + style + "\",\n  \"imageSize\""));
        return dir;
    }

    @Test
    void theEpisodesOfABundleDrawItsFrameStyle(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path dinowm = restyled(tmp.resolve("dinowm"), "dinowm");
        EpisodeWorker.Prepared p = worker.prepare(wall(b -> b
                .setEncoder(ArtifactRef.newBuilder().setBundle(dinowm.toString()))
                .setPredictor(ArtifactRef.newBuilder().setBundle(dinowm.toString()))));
        assertEquals("dinowm", p.manifest().frameStyle());
        assertEquals(dev.qwm.env.FrameStyle.DINOWM, p.source().newEnvironment().frameStyle());
        // the same environment for a qwm bundle right after: sources are kept per frame style
        assertEquals(dev.qwm.env.FrameStyle.QWM, worker.prepare(wall(b -> b)).source().newEnvironment().frameStyle());
        refused(b -> b.setEncoder(ArtifactRef.newBuilder().setBundle(dinowm.toString())),
                "reads dinowm frames, predictor bundle");
    }

    @Test
    void aPredictorBundleThatCannotBeReadIsInvalid() {
        Path missing = WALL.resolveSibling("no-such-bundle");
        EpisodeWorker.InvalidEpisodeException e = assertThrows(EpisodeWorker.InvalidEpisodeException.class,
                () -> worker.prepare(wall(b -> b.setPredictor(ArtifactRef.newBuilder().setBundle(missing.toString())))));
        assertTrue(e.getMessage().startsWith("episode request s-prepare/3 cannot be planned: "), e.getMessage());
    }

    private void refused(UnaryOperator<EpisodeRequested.Builder> change, String reason) {
        EpisodeRequested request = wall(change);
        EpisodeWorker.InvalidEpisodeException e = assertThrows(EpisodeWorker.InvalidEpisodeException.class,
                () -> worker.prepare(request));
        assertTrue(e.getMessage().startsWith("episode request " + EpisodeWorker.key(request) + " cannot be planned: "),
                e.getMessage());
        assertTrue(e.getMessage().contains(reason), "\"" + reason + "\" in: " + e.getMessage());
    }
}
