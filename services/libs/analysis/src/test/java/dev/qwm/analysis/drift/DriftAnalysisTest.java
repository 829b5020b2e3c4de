package dev.qwm.analysis.drift;

import dev.qwm.analysis.SyntheticStudy;
import dev.qwm.analysis.data.StudySnapshot;
import dev.qwm.analysis.study.StudyConditions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DriftAnalysisTest {

    @Test
    void driftRankedLikeFailureCorrelatesNegatively() {
        StudySnapshot study = SyntheticStudy.build("d", "d", SyntheticStudy.wallConfigs(),
                List.of(SyntheticStudy.DEFAULT_BUDGET), 30, false);
        StudyConditions conditions = StudyConditions.of(study);
        // drift = 1 − success rate exactly: a perfect inverse ranking (ties in success give ties in drift)
        List<RolloutDrift> curves = new ArrayList<>();
        conditions.results().forEach(r -> curves.add(new RolloutDrift("wall", r.condition().configuration(),
                RolloutDrift.Reference.REAL, new double[]{0.01, 0.02, 1 - r.success().value()}, 8)));
        curves.add(new RolloutDrift("wall", "not-in-the-study", RolloutDrift.Reference.REAL, new double[]{1}, 8));
        DriftAnalysis a = DriftAnalysis.of(conditions, curves);
        assertEquals(1, a.correlations().size());
        DriftAnalysis.DriftCorrelation c = a.correlations().get(0);
        assertEquals(conditions.results().size(), c.points().size());
        assertEquals(-1.0, c.correlation().rho().value(), 1e-12);
        assertTrue(a.curvesTable().notes().stream().anyMatch(n -> n.contains("not-in-the-study")));
        assertEquals(1, a.correlationTable().rows().size());
    }

    @Test
    void fileRoundTripAndClearErrors(@TempDir Path dir) throws Exception {
        List<RolloutDrift> curves = SyntheticStudy.drift(SyntheticStudy.wallConfigs());
        Path file = dir.resolve("drift.json");
        DriftIo.write(curves, file);
        List<RolloutDrift> back = DriftIo.read(file);
        assertEquals(curves.size(), back.size());
        for (int i = 0; i < curves.size(); i++) {
            assertEquals(curves.get(i).configuration(), back.get(i).configuration());
            assertEquals(curves.get(i).reference(), back.get(i).reference());
            assertArrayEquals(curves.get(i).error(), back.get(i).error(), 0);
        }
        Files.writeString(file, "{\"format\":\"qwm-drift/1\",\"curves\":[{\"environment\":\"wall\",\"configuration\":\"x\","
                + "\"reference\":\"sideways\",\"segments\":3,\"error\":[1]}]}");
        var e = assertThrows(IllegalArgumentException.class, () -> DriftIo.read(file));
        assertTrue(e.getMessage().contains("curves[0]") && e.getMessage().contains("sideways"), e.getMessage());
        Files.writeString(file, "{\"format\":\"qwm-drift/1\",\"curves\":[{\"environment\":\"wall\",\"configuration\":\"x\","
                + "\"reference\":\"fp\",\"segments\":3,\"error\":[1, -2]}]}");
        e = assertThrows(IllegalArgumentException.class, () -> DriftIo.read(file));
        assertTrue(e.getMessage().contains("non-negative"), e.getMessage());
        Files.writeString(file, "{\"curves\":[]}");
        e = assertThrows(IllegalArgumentException.class, () -> DriftIo.read(file));
        assertTrue(e.getMessage().contains("qwm-drift/1"), e.getMessage());
    }
}
