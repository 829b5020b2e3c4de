package dev.qwm.analysis.alignment;

import dev.qwm.analysis.data.ArtifactRef;
import dev.qwm.analysis.data.CemStepRecord;
import dev.qwm.analysis.data.EpisodeRecord;
import dev.qwm.analysis.data.EpisodeTrace;
import dev.qwm.analysis.data.MpcIterationRecord;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.analysis.data.Seeding;
import dev.qwm.analysis.data.StudyInfo;
import dev.qwm.analysis.data.StudySnapshot;
import dev.qwm.analysis.study.StudyConditions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AlignmentAnalysisTest {

    static final PlannerBudget BUDGET = new PlannerBudget(5, 300, 30, 1, 4, 8, 1, 5);

    @Test
    void plateauNeedsFlatSuccessFallingLossAndAGapToFp() {
        double[] success = {0, 0.1, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2};
        double[] falling = {1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3};
        Curve c = new Curve("MPC iteration", success, falling, new double[8], new int[8]);
        PlateauFlag f = PlateauFlag.detect(c, 0.05, 0.9).orElseThrow();
        assertEquals(2, f.plateauAt());
        assertEquals(7, f.lastAt());
        assertEquals((0.8 - 0.3) / 0.8, f.lossDrop(), 1e-12);
        assertTrue(f.describe().contains("from MPC iteration 3 to 8"), f.describe());

        // FP itself ends at 0.2: no gap, no flag
        assertTrue(PlateauFlag.detect(c, 0.05, 0.2).isEmpty());
        // the loss stops falling too: aligned, no flag
        double[] flatLoss = {1, 0.9, 0.8, 0.8, 0.8, 0.79, 0.79, 0.79};
        assertTrue(PlateauFlag.detect(new Curve("x", success, flatLoss, new double[8], new int[8]), 0.05, 0.9).isEmpty());
        // success still climbing at the end: more optimisation helps
        double[] climbing = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7};
        assertTrue(PlateauFlag.detect(new Curve("x", climbing, falling, new double[8], new int[8]), 0.05, 0.9).isEmpty());
        // a plateau of the last two points of eight is too short to call
        double[] late = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.6};
        assertTrue(PlateauFlag.detect(new Curve("x", late, falling, new double[8], new int[8]), 0.05, 0.9).isEmpty());
    }

    @Test
    void curvesCorrelationsAndFlagsFromHandMadeTraces() {
        List<EpisodeRecord> episodes = new ArrayList<>();
        Map<Integer, EpisodeTrace> traces = new HashMap<>();
        // FP: 4 episodes; episode n succeeds at iteration n (n = 0..2), episode 3 never. Its loss tracks distance.
        for (int n = 0; n < 4; n++) {
            boolean success = n < 3;
            add(episodes, traces, "fp32", n, success, success ? n : -1, false);
        }
        // w3: only episode 0 succeeds (at iteration 0); losses keep halving every iteration whatever happens
        for (int n = 0; n < 4; n++) {
            add(episodes, traces, "both/w3a16/rtn", n, n == 0, n == 0 ? 0 : -1, true);
        }
        StudySnapshot data = new StudySnapshot(new StudyInfo("s", "", "", 8, 8, 4, 0), episodes, traces, List.of());
        AlignmentAnalysis a = AlignmentAnalysis.of(StudyConditions.of(data), data.traces());
        AlignmentResult fp = a.results().get(0);
        AlignmentResult w3 = a.results().get(1);

        assertArrayEquals(new double[]{0.25, 0.5, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75}, fp.mpcCurve().success(), 1e-12);
        assertArrayEquals(new double[]{0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25}, w3.mpcCurve().success(), 1e-12);
        // w3 loss relative to iteration 0: every trace halves per iteration, ended episodes hold their last value
        assertEquals(1.0, w3.mpcCurve().relativeLoss()[0], 1e-12);
        // at iteration 7: episode 0 (ended at iteration 0) holds 1, the three others are at 0.5^7; the mean at 0 is 1
        assertEquals((1 + 3 * Math.pow(0.5, 7)) / 4, w3.mpcCurve().relativeLoss()[7], 1e-12);

        // FP final losses: successes 0.1·(n+1), the failure 5
        double[] loss = episodes.subList(0, 4).stream().mapToDouble(EpisodeRecord::finalBestLoss).toArray();
        assertArrayEquals(new double[]{0.1, 0.2, 0.3, 5.0}, loss, 1e-12);
        // loss ranks 1, 2, 3, 4; success 1, 1, 1, 0 ranks 3, 3, 3, 1 (ties averaged): Σ(x−x̄)(y−ȳ) = −3,
        // Σ(x−x̄)² = 5, Σ(y−ȳ)² = 3, ρ = −3/√15 = −√0.6
        assertEquals(-Math.sqrt(0.6), fp.lossVersusSuccess().rho().value(), 1e-12);

        assertTrue(fp.mpcFlag().isEmpty(), "FP is the reference");
        PlateauFlag flag = w3.mpcFlag().orElseThrow();
        assertEquals(0, flag.plateauAt());
        assertEquals(0.75, flag.reference(), 1e-12);

        // CEM curve: 4 steps, averaged over every (episode, iteration)
        Curve cem = w3.cemCurve().orElseThrow();
        assertEquals(4, cem.length());
        assertEquals(1.0, cem.relativeLoss()[0], 1e-12);
        assertTrue(cem.relativeLoss()[3] < cem.relativeLoss()[0]);
        assertFalse(a.table().rows().isEmpty());
        assertEquals(1, a.flagged().size());
    }

    /** Episode n of a configuration, with MPC and CEM traces. */
    private static void add(List<EpisodeRecord> out, Map<Integer, EpisodeTrace> traces, String configuration, int n,
                            boolean success, int successIteration, boolean misaligned) {
        int iterations = success ? successIteration + 1 : BUDGET.maxIter();
        List<MpcIterationRecord> mpc = new ArrayList<>();
        List<CemStepRecord> cem = new ArrayList<>();
        double loss = 0;
        for (int k = 0; k < iterations; k++) {
            double distance = success && k == successIteration ? 3 : 10;
            loss = misaligned ? Math.pow(0.5, k) : success && k == successIteration ? 0.1 * (n + 1) : 5.0;
            mpc.add(new MpcIterationRecord(k, success && k == successIteration, distance, loss, 1, 0.1, 25 * (k + 1), 100));
            for (int j = 0; j < BUDGET.optSteps(); j++) {
                cem.add(new CemStepRecord(k, j, loss * (1 + 0.5 * (BUDGET.optSteps() - 1 - j)), false, distance, 1, 0.1));
            }
        }
        int index = out.size();
        out.add(new EpisodeRecord(index, "wall", new ArtifactRef("e", "encoder", "", ""), new ArtifactRef("p-" + configuration,
                "predictor", "", ""), BUDGET, new Seeding(99L * n + 1, 99, 1, "validation"), configuration, success,
                successIteration, success ? 3 : 10, loss, iterations, 1000, 50, "a", "w"));
        traces.put(index, new EpisodeTrace("a", mpc, cem));
    }
}
