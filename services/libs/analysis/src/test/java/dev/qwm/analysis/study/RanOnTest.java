package dev.qwm.analysis.study;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.analysis.data.CollectorJson;
import dev.qwm.analysis.data.EpisodeRecord;
import dev.qwm.analysis.data.Seeding;
import dev.qwm.onnx.runtime.RunEnvironment;
import dev.qwm.planning.PlannerBudget;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RanOnTest {

    static final RunEnvironment XEON = new RunEnvironment("Intel(R) Xeon(R) Processor", "avx512-vnni", "avx512_vnni+",
            "1.29.0", "cpu", 1);
    static final RunEnvironment EPYC = new RunEnvironment("AMD EPYC 7B12", "avx2", "avx512_vnni-", "1.29.0", "cpu", 2);

    static EpisodeRecord episode(int index, RunEnvironment ranOn) {
        return episode(index, ranOn, ranOn);
    }

    static EpisodeRecord episode(int index, RunEnvironment ranOn, RunEnvironment encoderRanOn) {
        return new EpisodeRecord(index, "wall", null, null, PlannerBudget.dinoWm("wall"),
                new Seeding(99L * index + 1, 99, 1, "validation"), "c", true, 0, 1, 0.1, 1, 100, 10, "a", "w", ranOn,
                encoderRanOn);
    }

    @Test
    void anEncoderElsewhereIsNamedAndCountsTowardsTheWarning() {
        assertEquals(List.of(RanOn.describe(XEON)), RanOn.lines(List.of(episode(0, XEON, null))));
        assertEquals(List.of("predictor " + RanOn.describe(XEON) + "; encoder " + RanOn.describe(EPYC)),
                RanOn.lines(List.of(episode(0, XEON, EPYC), episode(1, XEON, EPYC))));
        String warning = RanOn.mixedCpuClasses(List.of(episode(0, XEON, EPYC))).orElseThrow();
        assertTrue(warning.contains("avx2, avx512-vnni"), warning);
    }

    @Test
    void oneLineForEveryConfigurationWhenTheyAllRanInOnePlace() {
        var same = new java.util.LinkedHashMap<String, List<String>>();
        same.put("fp32", List.of("x"));
        same.put("w8a8", List.of("x"));
        assertEquals(java.util.Map.of(RanOn.EVERY_CONFIGURATION, List.of("x")), RanOn.collapse(same));
        same.put("w4", List.of("y"));
        assertEquals(3, RanOn.collapse(same).size());
    }

    @Test
    void linesPerConfigurationAndAWarningWhenCpuClassesDiffer() {
        assertEquals(List.of(RanOn.describe(XEON)), RanOn.lines(List.of(episode(0, XEON), episode(1, XEON))));
        assertTrue(RanOn.mixedCpuClasses(List.of(episode(0, XEON), episode(1, XEON), episode(2, null))).isEmpty());
        List<String> mixed = RanOn.lines(List.of(episode(0, XEON), episode(1, EPYC), episode(2, null)));
        assertEquals(3, mixed.size());
        assertTrue(mixed.contains(RanOn.NOT_RECORDED + " (1 episodes)"), mixed.toString());
        String warning = RanOn.mixedCpuClasses(List.of(episode(0, XEON), episode(1, EPYC))).orElseThrow();
        assertTrue(warning.startsWith(RanOn.MIXED_WARNING) && warning.contains("avx2, avx512-vnni"), warning);
    }

    @Test
    void readsTheCollectorsJson() throws Exception {
        var json = new ObjectMapper().readTree("{\"cpuModel\":\"AMD EPYC 7B12\",\"cpuClass\":\"avx2\","
                + "\"cpuFeatures\":\"avx512_vnni-\",\"onnxRuntime\":\"1.29.0\",\"executionProvider\":\"cpu\",\"threads\":2}");
        assertEquals(EPYC, CollectorJson.ranOn(json));
        assertNull(CollectorJson.ranOn(null));
    }
}
