package dev.qwm.cli.study;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StudyTableTest {

    @Test
    void failedEpisodesAreListedByConfigurationAndReason() throws Exception {
        var failures = new ObjectMapper().readTree("""
                [{"episodeIndex": 3, "configuration": "fp32", "reason": "seed must be between 0 and 2^32 - 1, got -97"},
                 {"episodeIndex": 4, "configuration": "fp32", "reason": "seed must be between 0 and 2^32 - 1, got -97"},
                 {"episodeIndex": 9, "configuration": "w4", "reason": "refused by the predictor service"}]""");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StudyTable.printFailures(failures, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertEquals("""

                failed episodes (the planner could not plan them):
                  2 episodes (index 3, 4) fp32: seed must be between 0 and 2^32 - 1, got -97
                  1 episode (index 9) w4: refused by the predictor service
                """, bytes.toString(StandardCharsets.UTF_8));
    }
}
