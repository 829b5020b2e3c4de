package dev.qwm.planning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PlannerBudgetTest {

    @Test
    void overridesAreCheckedTogetherNotOneAtATime() {
        PlannerBudget wall = PlannerBudget.dinoWm("wall");
        assertThrows(IllegalArgumentException.class, () -> wall.withSamples(20), "20 samples with top-k 30 alone is invalid");
        PlannerBudget small = wall.with(new PlannerBudget.Overrides(null, 20, 5, null, null, null, null));
        assertEquals(20, small.samples());
        assertEquals(5, small.topK());
        assertEquals(wall.optSteps(), small.optSteps());

        PlannerBudget shorter = wall.with(new PlannerBudget.Overrides(3, null, null, 0.5, 2, 7, 0.0));
        assertEquals(new PlannerBudget(3, 300, 30, 0.5, 2, 7, 0.0, 3), shorter, "a new horizon is executed whole");
        assertEquals(wall, wall.with(PlannerBudget.Overrides.NONE));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> wall.with(new PlannerBudget.Overrides(null, 20, 25, null, null, null, null)));
        assertTrue(e.getMessage().contains("topK (25) cannot exceed samples (20)"), e.getMessage());
    }

    @Test
    void labelAndKeyNameTheBudget() {
        PlannerBudget wall = PlannerBudget.dinoWm("wall");
        assertEquals("300×10 CEM, 50 MPC", wall.label());
        assertEquals("h5-s300-k30-v1-o10-m50-a1-e5", wall.key());
        assertEquals("h5-s300-k30-v0.5-o10-m50-a1-e5", wall.withVarScale(0.5).key());
    }
}
