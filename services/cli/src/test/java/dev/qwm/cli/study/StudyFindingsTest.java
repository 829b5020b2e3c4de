package dev.qwm.cli.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyFindingsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static final int N = 40;
    private int index;

    private List<JsonNode> cell(String label, int maxIter, IntPredicate success) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (int n = 0; n < N; n++) {
            String completed = """
                    {"episodeId": {"studyId": {"value": "s"}, "index": %d}, "attemptId": "a%d", "configuration": "%s",
                     "environment": "ENVIRONMENT_ID_WALL", "success": %b, "mpcIterations": 1,
                     "encoder": {"sha256": "e", "bundle": "b", "label": "l", "component": "MODEL_COMPONENT_ENCODER"},
                     "predictor": {"sha256": "p", "bundle": "b", "label": "l", "component": "MODEL_COMPONENT_PREDICTOR"},
                     "budget": {"horizon": 5, "samples": 300, "topK": 30, "varScale": 1, "optSteps": 10, "maxIter": %d,
                                "objectiveAlpha": 1, "executedActions": 5},
                     "seeding": {"seed": "%d", "seedBase": "99", "seedOffset": "1", "split": "DATA_SPLIT_VALIDATION"}}
                    """.formatted(index, index, label, success.test(n), maxIter, 99L * n + 1);
            index++;
            out.add(JSON.readTree("{\"completed\": " + completed + ", \"trace\": {}}"));
        }
        return out;
    }

    @Test
    void eachClaimIsAPairedDifferenceWithAVerdictByTheRulesAndMissingCellsArePending() throws Exception {
        StudyLog log = StudyLog.open(dir.resolve("log"), "s", "f");
        List<JsonNode> all = new ArrayList<>();
        all.addAll(cell("fp32@iter10-opt10", 10, n -> n % 10 != 0));              // 36/40
        all.addAll(cell("fp32-seed1", 10, n -> n % 10 != 0 && n != 3 && n != 20)); // one flip: episode 3 (20 fails under both)
        all.addAll(cell("both-w8a16", 10, n -> n % 10 != 0));                     // the same episodes
        all.addAll(cell("both-w3a16@iter10-opt10", 10, n -> n < 4));              // collapses
        all.addAll(cell("both-w3a16@iter50-opt10", 50, n -> n < 6));              // two more with 50 iterations
        log.append(all);
        String md = StudyFindings.markdown("wall", StudyFindings.cells(log), "fp32@iter10-opt10");
        assertTrue(md.contains("| 8-bit ≈ full precision | both-w8a16 − fp32@iter10-opt10 | 40 | +0.00 ["), md);
        assertTrue(md.contains("| agrees |"), md);
        assertTrue(md.contains("| 3-bit collapses planning | both-w3a16@iter10-opt10 − fp32@iter10-opt10 | 40 | -0.80 ["), md);
        assertTrue(md.contains("| more MPC iterations do not recover a low-bit model | both-w3a16@iter50-opt10 −"
                + " both-w3a16@iter10-opt10 | 40 | +0.05 ["), md);
        // without the study's grid, a cell not in the log is said to be just that
        assertTrue(md.contains("| 4-bit loses success | both-w4a16 − fp32@iter10-opt10 | 0 | not in the log |"), md);
        assertTrue(md.contains("| 8-bit ≈ full precision | both-w8a8 − fp32@iter10-opt10 | 0 | not in the log |"), md);
        assertTrue(md.contains("1 of 40 paired episodes flip (0 only under seed 1, 1 only under seed 0)"), md);
        assertTrue(md.contains("Planning cost: 200 episodes, 0.0 hours of planner-worker time"), md);
        for (String line : md.split("\n")) {
            if (line.startsWith("| 3-bit collapses")) {
                assertTrue(line.endsWith("| agrees |"), line);
            }
        }
        assertEquals("disagrees", StudyFindings.verdict(StudyFindings.Expect.LOSS,
                StudyFindings.paired(StudyFindings.cells(log).get("both-w8a16"), StudyFindings.cells(log)
                        .get("fp32@iter10-opt10")).orElseThrow()), "no loss at all where a loss was claimed");
    }

    @Test
    void aCellOfTheGridNotPlannedYetIsPendingAndACellTheGridDoesNotHaveIsSaidToBeNotInIt() throws Exception {
        StudyLog log = StudyLog.open(dir.resolve("log"), "s", "f");
        List<JsonNode> all = new ArrayList<>();
        all.addAll(cell("fp32", 10, n -> n % 10 != 0));
        all.addAll(cell("both-w8a16", 10, n -> n % 10 != 0));
        log.append(all);
        // the grid has both-w4a16 (not planned yet) and no W6A6 cell, nor fp32-seed1
        java.util.Set<String> grid = java.util.Set.of("fp32", "both-w8a16", "both-w4a16", "both-w6a6");
        String md = StudyFindings.markdown("t", StudyFindings.cells(log), "fp32", grid);
        assertTrue(md.contains("| 8-bit ≈ full precision | both-w8a16 − fp32 | 40 | +0.00 ["), md);
        assertTrue(md.contains("| 4-bit loses success | both-w4a16 − fp32 | 0 | pending |"), md);
        // in the grid but its partner is not: never planned
        assertTrue(md.contains("| per-token activations help (inconsistently) | both-w6a6-token − both-w6a6 | 0 |"
                + " not in the grid |"), md);
        assertTrue(md.contains("| 3-bit collapses planning | both-w3a16 − fp32 | 0 | not in the grid |"), md);
        assertTrue(!md.contains("| 3-bit collapses planning | both-w3a16 − fp32 | 0 | pending |"), md);
        assertTrue(md.contains("(fp32-seed1 − fp32): not in the grid."), md);
        assertEquals("pending", StudyFindings.missing("both-w4a16", "fp32", grid));
        assertEquals("not in the grid", StudyFindings.missing("both-w4a16", "both-w4a16-g32", grid));
        assertEquals("not in the log", StudyFindings.missing("both-w4a16", "fp32", null));
    }

    @Test
    void aVerdictThatAssertsADifferenceNeedsTheMcNemarTestNotOnlyTheInterval() {
        // 5 pairs, 3 discordant all one way: the Newcombe interval is a loss throughout, yet McNemar's p is 0.25
        var few = dev.qwm.analysis.stats.Proportions.pairedDifference(2, 0, 3, 0);
        assertTrue(few.difference().interval().upper() < 0, "the interval alone would call this a loss");
        assertEquals(0.25, few.mcnemarP(), 1e-12);
        assertEquals("not resolved at this n", StudyFindings.verdict(StudyFindings.Expect.LOSS, few));
        assertEquals("not resolved at this n", StudyFindings.verdict(StudyFindings.Expect.GAIN, few));
        assertEquals("not resolved at this n", StudyFindings.verdict(StudyFindings.Expect.NO_LOSS, few));
        // the same loss on 8 discordant pairs of 10: p = 0.0078, the verdicts follow
        var more = dev.qwm.analysis.stats.Proportions.pairedDifference(2, 0, 8, 0);
        assertTrue(more.mcnemarP() < StudyFindings.ALPHA);
        assertEquals("agrees", StudyFindings.verdict(StudyFindings.Expect.LOSS, more));
        assertEquals("disagrees", StudyFindings.verdict(StudyFindings.Expect.GAIN, more));
        assertEquals("disagrees", StudyFindings.verdict(StudyFindings.Expect.NO_LOSS, more));
    }
}
