package dev.qwm.analysis.cost;

import dev.qwm.analysis.data.ArtifactRecord;
import dev.qwm.analysis.data.ArtifactRef;
import dev.qwm.analysis.data.EpisodeRecord;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.analysis.data.Seeding;
import dev.qwm.analysis.data.StudyInfo;
import dev.qwm.analysis.data.StudySnapshot;
import dev.qwm.analysis.study.StudyConditions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CostAnalysisTest {

    @Test
    void paretoFrontByHand() {
        // (MB, ms, success of 4): A 10/100/4, B 5/90/3, C 5/95/2 (dominated by B in bytes, B in time), D 2/120/1,
        // E 8/80/3 (dominated by B in bytes; best time at 3 successes)
        Object[][] configs = {{"A", 10, 100.0, "1111"}, {"B", 5, 90.0, "1110"}, {"C", 5, 95.0, "1100"},
                {"D", 2, 120.0, "1000"}, {"E", 8, 80.0, "1110"}};
        List<EpisodeRecord> episodes = new ArrayList<>();
        List<ArtifactRecord> artifacts = new ArrayList<>();
        PlannerBudget budget = new PlannerBudget(5, 300, 30, 1, 10, 50, 1, 5);
        for (Object[] c : configs) {
            String name = (String) c[0];
            ArtifactRef enc = new ArtifactRef("e" + name, "encoder", "", name);
            ArtifactRef pred = new ArtifactRef("p" + name, "predictor", "", name);
            artifacts.add(new ArtifactRecord(enc, null, 1_000_000L * (int) c[1] / 2, null));
            artifacts.add(new ArtifactRecord(pred, null, 1_000_000L * (int) c[1] / 2, null));
            String pattern = (String) c[3];
            for (int n = 0; n < pattern.length(); n++) {
                episodes.add(new EpisodeRecord(episodes.size(), "wall", enc, pred, budget, new Seeding(99L * n + 1, 99, 1, "v"),
                        name, pattern.charAt(n) == '1', 0, 1, 1, 1, 1, (double) c[2], "a", "w"));
            }
        }
        StudySnapshot data = new StudySnapshot(new StudyInfo("s", "", "", 20, 20, 0, 0), episodes, Map.of(), artifacts);
        CostAnalysis cost = CostAnalysis.of(StudyConditions.of(data));
        List<CostAnalysis.CostPoint> points = cost.groups().values().iterator().next();
        StringBuilder bytes = new StringBuilder();
        StringBuilder time = new StringBuilder();
        points.stream().sorted(java.util.Comparator.comparing(p -> p.condition().configuration())).forEach(p -> {
            if (p.bytesFront()) {
                bytes.append(p.condition().configuration());
            }
            if (p.timeFront()) {
                time.append(p.condition().configuration());
            }
        });
        assertEquals("ABD", bytes.toString());
        assertEquals("AE", time.toString());
        assertEquals(5, cost.table().rows().size());
    }
}
