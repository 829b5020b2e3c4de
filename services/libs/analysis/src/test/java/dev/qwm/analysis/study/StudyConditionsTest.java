package dev.qwm.analysis.study;

import dev.qwm.analysis.data.ArtifactRecord;
import dev.qwm.analysis.data.ArtifactRef;
import dev.qwm.analysis.data.EpisodeRecord;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.analysis.data.Seeding;
import dev.qwm.analysis.data.StudyInfo;
import dev.qwm.analysis.data.StudySnapshot;
import dev.qwm.analysis.table.ResultTable;
import dev.qwm.analysis.stats.Estimate;
import dev.qwm.analysis.stats.PairedDifference;
import dev.qwm.analysis.stats.Proportions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hand-made studies whose answers are counted by hand. */
class StudyConditionsTest {

    static final PlannerBudget BUDGET = new PlannerBudget(5, 300, 30, 1, 10, 50, 1, 5);
    static final PlannerBudget SMALL = new PlannerBudget(5, 300, 30, 1, 10, 10, 1, 5);

    /** Episodes of one configuration on seeds 99n+1, n = 0..pattern.length−1; '1' = success. */
    static List<EpisodeRecord> episodes(List<EpisodeRecord> out, String configuration, String pattern, PlannerBudget budget,
                                        double cemMs) {
        for (int n = 0; n < pattern.length(); n++) {
            boolean success = pattern.charAt(n) == '1';
            out.add(new EpisodeRecord(out.size(), "wall", new ArtifactRef("enc-" + configuration, "encoder", "b", configuration),
                    new ArtifactRef("pred-" + configuration, "predictor", "b", configuration), budget,
                    new Seeding(99L * n + 1, 99, 1, "validation"), configuration, success, success ? 2 : -1,
                    success ? 3.0 : 10.0 + n, success ? 0.1 : 0.5, success ? 3 : budget.maxIter(), 1000, cemMs, "a", "w"));
        }
        return out;
    }

    static StudySnapshot study(List<EpisodeRecord> episodes) {
        return new StudySnapshot(new StudyInfo("s", "hand-made", "{}", episodes.size(), episodes.size(), 0, 0), episodes,
                Map.of(), List.of());
    }

    @Test
    void pairsBySeedAndCountsTheTwoByTwoTable() {
        List<EpisodeRecord> e = new ArrayList<>();
        //                  seed index: 0123456789
        episodes(e, "fp32", /*      */ "1111111100", BUDGET, 100);
        episodes(e, "predictor/w4a16/rtn", "1111010010", BUDGET, 80);
        StudyConditions s = StudyConditions.of(study(e));
        assertEquals(2, s.results().size());
        ConditionResult fp = s.results().get(0);
        ConditionResult q = s.results().get(1);
        assertTrue(fp.condition().isFullPrecision());
        assertEquals(Proportions.rate(8, 10), fp.success());
        assertEquals(Proportions.rate(6, 10), q.success());
        // both: 0,1,2,3,5 = 5; w4 only: 8 = 1; FP only: 4,6,7 = 3; neither: 9 = 1
        PairedDifference d = q.versusFullPrecision().orElseThrow();
        assertEquals(5, d.bothSucceed());
        assertEquals(1, d.onlyFirst());
        assertEquals(3, d.onlySecond());
        assertEquals(1, d.neither());
        assertEquals(-0.2, d.difference().value(), 1e-12);
        assertEquals(Proportions.pairedDifference(5, 1, 3, 1), d);
        assertTrue(fp.versusFullPrecision().isEmpty());
        assertEquals(80, q.cemStepMs().value(), 1e-9);
        assertEquals(0.1 * 0.6 + 0.5 * 0.4, q.finalBestLoss().value(), 1e-12);
    }

    @Test
    void theReferenceIsFullPrecisionUnderTheStudysPlannerSeedNotItsNoiseControl() {
        List<EpisodeRecord> e = new ArrayList<>();
        episodes(e, "fp32", "1111111100", BUDGET, 100);
        episodes(e, "fp32-seed1", "111111110011", BUDGET, 100); // more episodes, another planner seed
        episodes(e, "predictor/w4a16/rtn", "1111010010", BUDGET, 80);
        String spec = """
                {"study": {"planner_seed": 0}, "grid": [{"label": "fp32", "planner_seed": 0},
                 {"label": "fp32-seed1", "planner_seed": 1}, {"label": "predictor/w4a16/rtn", "planner_seed": 0}]}""";
        StudyConditions withSpec = StudyConditions.of(new StudySnapshot(new StudyInfo("s", "hand-made", spec, e.size(),
                e.size(), 0, 0), e, Map.of(), List.of()));
        ConditionResult q = withSpec.results().stream().filter(r -> r.condition().configuration().equals("predictor/w4a16/rtn"))
                .findFirst().orElseThrow();
        assertEquals(-0.2, q.versusFullPrecision().orElseThrow().difference().value(), 1e-12, "paired with fp32");
        assertTrue(withSpec.notes().stream().anyMatch(n -> n.contains("differences are against 'fp32' (the study's planner"
                + " seed, most episodes), not 'fp32-seed1'")), withSpec.notes().toString());
        assertEquals("fp32", withSpec.fullPrecision(q.condition().groupKey()).orElseThrow().condition().configuration(),
                "the report's findings name the same reference");
        // a study whose spec says nothing of planner seeds: the FP configuration with the most episodes
        StudyConditions without = StudyConditions.of(study(e));
        assertTrue(without.notes().stream().anyMatch(n -> n.contains("differences are against 'fp32-seed1' (most"
                + " episodes), not 'fp32'")), without.notes().toString());
    }

    @Test
    void onlySharedSeedsArePairedAndBudgetsAreSeparateGroups() {
        List<EpisodeRecord> e = new ArrayList<>();
        episodes(e, "fp32", "11110000", BUDGET, 100);
        episodes(e, "both/w3a16/rtn", "0000", BUDGET, 90);    // seeds 0..3 only
        episodes(e, "fp32", "1100", SMALL, 100);
        episodes(e, "both/w3a16/rtn", "0000", SMALL, 90);
        StudyConditions s = StudyConditions.of(study(e));
        assertEquals(4, s.results().size());
        assertEquals(2, s.groups().size());
        assertTrue(s.severalBudgets());
        ConditionResult w3 = s.results().stream().filter(r -> r.condition().configuration().startsWith("both")
                && r.condition().budget().equals(BUDGET)).findFirst().orElseThrow();
        PairedDifference d = w3.versusFullPrecision().orElseThrow();
        assertEquals(4, d.pairs(), "seeds 4..7 of FP have no w3 partner");
        assertEquals(-1.0, d.difference().value(), 1e-12);
        ConditionResult w3small = s.results().stream().filter(r -> r.condition().configuration().startsWith("both")
                && r.condition().budget().equals(SMALL)).findFirst().orElseThrow();
        assertEquals(-0.5, w3small.versusFullPrecision().orElseThrow().difference().value(), 1e-12,
                "compared with FP at its own budget");

        ResultTable budget = new SuccessTables(s).budget();
        assertEquals(4, budget.rows().size());
    }

    @Test
    void tablesPlaceEachConfiguration() {
        List<EpisodeRecord> e = new ArrayList<>();
        episodes(e, "fp32", "1111111111", BUDGET, 100);
        episodes(e, "both/w4a16-g128/rtn", "1111111000", BUDGET, 90);
        episodes(e, "both/w8a8-token/smoothquant", "1111111110", BUDGET, 70);
        episodes(e, "encoder/w4a16/rtn", "1100000000", BUDGET, 90);
        episodes(e, "predictor/w4a16/rtn", "1111111100", BUDGET, 90);
        episodes(e, "both/w4a16/rtn", "1000000000", BUDGET, 90);
        episodes(e, "my-mystery-model", "1010101010", BUDGET, 90);
        StudyConditions s = StudyConditions.of(study(e));
        SuccessTables t = new SuccessTables(s);

        ResultTable weightOnly = t.weightOnly();
        List<String> configs = weightOnly.rows().stream().map(r -> r.get(2) + "/" + r.get(4) + "/" + r.get(5)).toList();
        assertEquals(List.of("FP/null/–", "encoder only/4/per-channel", "predictor only/4/per-channel",
                "both/4/per-channel", "both/4/g128"), configs);

        ResultTable wa = t.weightActivation();
        assertEquals(2, wa.rows().size(), "FP and the W8A8 row");
        assertEquals("per-token", wa.rows().get(1).get(6));

        ResultTable modules = t.modules();
        assertEquals(1, modules.rows().size(), "only rtn/w4a16 was run on several module sets");
        List<Object> row = modules.rows().get(0);
        assertEquals(Proportions.rate(2, 10), row.get(4));
        assertEquals(Proportions.rate(8, 10), row.get(5));
        assertEquals(Proportions.rate(1, 10), row.get(6));
        // encoder-only − predictor-only on the same seeds: both 2, enc only 0, pred only 6, neither 2
        assertEquals(Proportions.pairedDifference(2, 0, 6, 2).difference(), row.get(7));

        ResultTable overview = t.overview();
        assertEquals(7, overview.rows().size());
        assertTrue(overview.notes().stream().anyMatch(n -> n.contains("my-mystery-model")), overview.notes().toString());
        List<Object> mystery = overview.rows().get(6);
        assertEquals("my-mystery-model", mystery.get(2), "unknown configurations sort last");
        assertEquals("?", mystery.get(3));
        Estimate vsFp = (Estimate) mystery.get(7);
        assertEquals(-0.5, vsFp.value(), 1e-12, "an unknown configuration is still compared with FP");
        assertNull(overview.rows().get(0).get(7), "FP has no difference with itself");
    }

    @Test
    void withoutFullPrecisionThereAreNoDifferencesAndANote() {
        List<EpisodeRecord> e = new ArrayList<>();
        episodes(e, "both/w8a8/rtn", "1111", BUDGET, 70);
        StudyConditions s = StudyConditions.of(study(e));
        assertTrue(s.results().get(0).versusFullPrecision().isEmpty());
        assertTrue(s.notes().stream().anyMatch(n -> n.contains("no full-precision")), s.notes().toString());
        assertEquals(1, new SuccessTables(s).weightActivation().rows().size());
        assertTrue(new SuccessTables(s).weightOnly().isEmpty());
    }

    @Test
    void modelBytesComeFromTheArtifacts() {
        List<EpisodeRecord> e = new ArrayList<>();
        episodes(e, "fp32", "1", BUDGET, 100);
        List<ArtifactRecord> artifacts = List.of(
                new ArtifactRecord(new ArtifactRef("enc-fp32", "encoder", "b", "fp32"), null, 3_000_000, null),
                new ArtifactRecord(new ArtifactRef("pred-fp32", "predictor", "b", "fp32"), null, 5_000_000, null));
        StudySnapshot data = new StudySnapshot(new StudyInfo("s", "", "", 1, 1, 1, 0), e, Map.of(), artifacts);
        assertEquals(8_000_000, StudyConditions.of(data).results().get(0).condition().modelBytes());
        assertEquals(-1, StudyConditions.of(study(e)).results().get(0).condition().modelBytes());
    }

    @Test
    void anEmptyStudyIsAClearError() {
        var ex = assertThrows(IllegalArgumentException.class, () -> StudyConditions.of(study(List.of())));
        assertTrue(ex.getMessage().contains("no completed episode"), ex.getMessage());
    }
}
