package dev.qwm.planner.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RolloutDeadlineTest {

    private final RolloutDeadline deadline = new RolloutDeadline(Duration.ofSeconds(60), 2);

    @Test
    void theShippedModelsGetSecondsMoreAndDinoWmSizeMinutes() {
        // Wall's shipped predictor: 4.97 GFLOP per CEM step of 300 x 5
        Duration shipped = deadline.forRollout(4.97 / 1500, 300, 5);
        assertEquals(Duration.ofMillis(62_485), shipped);
        // DINO-WM's size: 37,086 GFLOP per 300 x 5; 8 candidates are 989 GFLOP, 494.6 s at 2 GFLOP/s
        Duration full = deadline.forRollout(37_086.0 / 1500, 8, 5);
        assertEquals(60 + 495, full.toSeconds() + (full.toMillisPart() > 0 ? 1 : 0));
    }

    @Test
    void aPredictorThatReportsNoWorkGetsTheBaseDeadline() {
        assertEquals(Duration.ofSeconds(60), deadline.forRollout(0, 1024, 16));
    }

    @Test
    void anAbsurdReportIsCappedAtADay() {
        assertTrue(deadline.forRollout(1e300, 1024, 256).compareTo(Duration.ofSeconds(60 + 86_400)) <= 0);
    }

    @Test
    void badSettingsAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RolloutDeadline(Duration.ofSeconds(60), 0));
        assertTrue(e.getMessage().contains("planner.rollout-min-gflops"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new RolloutDeadline(Duration.ZERO, 2));
        assertTrue(e.getMessage().contains("planner.rollout-deadline"), e.getMessage());
    }
}
