package dev.qwm.analysis.autoquant;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AutoQuantFrontTest {

    private static AutoQuantFront.Row row(String name, double cost, String verdict, int fixed) {
        return row(name, cost, verdict, fixed, AutoQuantBudget.Fit.UNDER);
    }

    private static AutoQuantFront.Row row(String name, double cost, String verdict, int fixed, AutoQuantBudget.Fit fit) {
        boolean v = verdict != null;
        return new AutoQuantFront.Row(name, "d", 1000, cost, cost, 0.01, 0.02, verdict, v ? -0.01 : Double.NaN,
                v ? -0.04 : Double.NaN, v ? 0.02 : Double.NaN, v ? 180 : 0, v ? 180 : 0, v ? 170 : 0, v ? 172 : 0, fixed, fit);
    }

    @Test
    void rowsByCostTheTableTheMarkdownAndThePlot() {
        AutoQuantFront f = new AutoQuantFront("wall", AutoQuantBudget.parse("bytes=0.25"), 0.05, List.of(
                row("b", 0.24, "PASS", 120), row("a", 0.15, "FAIL", -1), row("c", 0.2, null, -1)));
        assertEquals(List.of("a", "c", "b"), f.rows().stream().map(AutoQuantFront.Row::name).toList());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        f.print(new PrintStream(out, true, StandardCharsets.UTF_8));
        String table = out.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("not verified") && table.contains("-0.010 [-0.040, +0.020]"), table);
        String md = f.markdown(Map.of("CPU", "test"));
        assertTrue(md.contains("- CPU: test") && md.contains("| b | 0.240 | under |") && md.contains("above −0.05"), md);
        String svg = f.svg();
        assertTrue(svg.startsWith("<?xml") && svg.contains("<svg") && svg.contains("b (0.240×)"), svg);
        assertFalse(svg.contains("c (0.200×)"), "an unverified candidate has no interval to plot");
        // a grid at the n the passing candidate needs: two candidates and the reference
        assertEquals(120, f.fixedGridPairs().getAsInt());
        assertEquals(360, f.fixedGridEpisodes().getAsInt());
    }

    @Test
    void noFixedGridWhenNothingPasses() {
        AutoQuantFront f = new AutoQuantFront("wall", AutoQuantBudget.parse("ms=0.5"), 0.05,
                List.of(row("a", 0.4, "FAIL", -1)));
        assertTrue(f.fixedGridEpisodes().isEmpty());
    }

    @Test
    void aTimeFrontListsEveryTimedCandidateMarkedAgainstTheBudgetAndStatesTheNoiseRule() {
        AutoQuantFront f = new AutoQuantFront("wall", AutoQuantBudget.parse("ms=0.5"), 0.05, List.of(
                row("w8a8", 0.45, "PASS", 90), row("w4-g32", 0.94, null, -1, AutoQuantBudget.Fit.OVER),
                row("w8-kernel", 0.48, null, -1, AutoQuantBudget.Fit.WITHIN_NOISE)));
        String md = f.markdown(Map.of());
        assertTrue(md.contains("| w8a8 | 0.450 | under |") && md.contains("| w4-g32 | 0.940 | over |")
                && md.contains("| w8-kernel | 0.480 | within noise |"), md);
        assertTrue(md.contains("exceeds the spread of the repetitions"), md);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        f.print(new PrintStream(out, true, StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("within noise"), out.toString(StandardCharsets.UTF_8));
        assertFalse(new AutoQuantFront("wall", AutoQuantBudget.parse("bytes=0.25"), 0.05, List.of(row("a", 0.2, null, -1)))
                .markdown(Map.of()).contains("spread"), "the timing rule belongs to a time budget only");
    }
}
