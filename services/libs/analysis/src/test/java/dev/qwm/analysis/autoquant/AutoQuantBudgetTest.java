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

    @Test
    void aTimeBudgetCountsASavingOnlyBeyondTheSpreadOfTheRepetitions() {
        AutoQuantBudget ms = AutoQuantBudget.parse("ms=0.97");
        double[] fp = {100, 103, 101, 104, 102};
        // 0.95x at its least, but FP's repetitions spread over 4 ms and the saving is 5: under
        assertEquals(AutoQuantBudget.Fit.UNDER, ms.judgeTimes(new double[]{95, 96, 97, 96, 95.5}, fp));
        // 0.96x at its least, within the budget, yet a saving of 4 ms is no more than the spread: within noise
        assertEquals(AutoQuantBudget.Fit.WITHIN_NOISE, ms.judgeTimes(new double[]{96, 97, 96.5, 98, 96}, fp));
        // the candidate's own spread counts too: a saving of 10 against its spread of 12
        assertEquals(AutoQuantBudget.Fit.WITHIN_NOISE, ms.judgeTimes(new double[]{90, 102, 95, 91, 93}, fp));
        // over the budget at its least, whatever the noise
        assertEquals(AutoQuantBudget.Fit.OVER, ms.judgeTimes(new double[]{98, 98, 98}, fp));
        // a NaN repetition (no thread CPU time) is left out, none at all is refused
        assertEquals(AutoQuantBudget.Fit.UNDER, ms.judgeTimes(new double[]{50, Double.NaN, 51}, fp));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ms.judgeTimes(new double[]{Double.NaN}, fp))
                .getMessage().contains("no finite timing"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AutoQuantBudget.parse("bytes=0.5")
                .judgeTimes(fp, fp)).getMessage().contains("time budget"));
        assertEquals(4.0, AutoQuantBudget.spread(fp));
    }
}
