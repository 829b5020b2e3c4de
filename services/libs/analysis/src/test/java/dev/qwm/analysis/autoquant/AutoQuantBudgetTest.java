package dev.qwm.analysis.autoquant;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AutoQuantBudgetTest {

    @Test
    void parsesBytesAndTimeBudgets() {
        AutoQuantBudget b = AutoQuantBudget.parse("bytes=0.25");
        assertEquals(AutoQuantBudget.Kind.BYTES, b.kind());
        assertEquals(0.25, b.fraction());
        assertEquals("bytes=0.25", b.toString());
        assertTrue(b.fits(250, 1000));
        assertFalse(b.fits(251, 1000));
        AutoQuantBudget ms = AutoQuantBudget.parse(" MS = 0.5 ");
        assertEquals(AutoQuantBudget.Kind.MS, ms.kind());
        assertEquals("ms=0.5", ms.toString());
        assertEquals("bytes=1", AutoQuantBudget.parse("bytes=1").toString());
    }

    @Test
    void refusesBadBudgetsByName() {
        String[][] bad = {
                {"size=0.25", "unknown cost 'size'"},
                {"bytes=abc", "'abc' is not a number"},
                {"bytes=", "'' is not a number"},
                {"bytes=NaN", "is not a number"},
                {"bytes=0", "must lie in (0, 1]"},
                {"ms=-0.5", "must lie in (0, 1]"},
                {"bytes=1.5", "must lie in (0, 1]"},
                {"0.25", "has no '='"},
                {"", "--budget is empty"},
        };
        for (String[] c : bad) {
            var e = assertThrows(IllegalArgumentException.class, () -> AutoQuantBudget.parse(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
        }
    }
}
