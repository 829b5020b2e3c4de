package dev.qwm.planner.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.DataSplit;
import dev.qwm.api.common.v1.EnvironmentId;
import dev.qwm.api.common.v1.PlannerBudget;
import dev.qwm.api.events.v1.EpisodeRequested;
import dev.qwm.planner.study.ValidStudy;
import java.util.List;
import org.junit.jupiter.api.Test;

class StudyDispatcherTest {

    @Test
    void configurationsArePairedEpisodeByEpisode() {
        PlannerBudget budget = PlannerBudget.newBuilder().setHorizon(5).setSamples(300).setTopK(30).build();
        ArtifactRef fp = ArtifactRef.newBuilder().setSha256("a").build();
        ArtifactRef q = ArtifactRef.newBuilder().setSha256("b").build();
        ValidStudy s = new ValidStudy("st", "n", EnvironmentId.ENVIRONMENT_ID_WALL, 3, 99, 2, DataSplit.DATA_SPLIT_TRAIN,
                7, false, List.of(new ValidStudy.Configuration("fp", fp, fp, budget, 7),
                new ValidStudy.Configuration("w4", fp, q, budget, 8)));
        List<EpisodeRequested> r = StudyDispatcher.requests(s);
        assertEquals(6, r.size());
        for (int i = 0; i < 6; i++) {
            EpisodeRequested e = r.get(i);
            assertEquals(i, e.getEpisodeId().getIndex());
            assertEquals("st", e.getEpisodeId().getStudyId().getValue());
            assertEquals(i < 3 ? "fp" : "w4", e.getConfiguration());
            assertEquals(99L * (i % 3) + 2, e.getSeeding().getSeed(), "episode n has seed 99n+2 in every configuration");
            assertEquals(DataSplit.DATA_SPLIT_TRAIN, e.getSeeding().getSplit());
            assertEquals(i < 3 ? 7 : 8, e.getPlannerSeed(), "each configuration's own planner seed");
            assertFalse(e.getEvaluateCemSteps());
        }
        assertEquals("b", r.get(4).getPredictor().getSha256());
        assertEquals(r.get(1).getSeeding(), r.get(4).getSeeding());
        assertNotEquals(r.get(1).getEventId(), r.get(4).getEventId());

        // published episode by episode across configurations, so a study stopped part way is paired
        assertEquals(List.of(0, 3, 1, 4, 2, 5), StudyDispatcher.inPublishOrder(r, 3).stream()
                .map(e -> e.getEpisodeId().getIndex()).toList());
    }

    /** A request's sha256 is stored on the submissions topic: it must stay the SHA-256 of its UTF-8 text, in hex. */
    @Test
    void aRequestsSha256IsTheDigestOfItsText() {
        assertEquals("015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862", SubmittedStudies.sha256("{\"a\":1}"));
    }
}
