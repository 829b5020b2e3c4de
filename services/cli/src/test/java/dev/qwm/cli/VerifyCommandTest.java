package dev.qwm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyCommandTest {

    @Test
    void aBundleAgainstItselfAgreesOnEveryPairAndIsUndecidedWhenThePairsRunOut(@TempDir Path dir) {
        Path fp = QuantizeCommandTest.randomWallBundle(dir.resolve("fp"));
        PrintStream stdout = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = QwmCommand.commandLine().execute("verify", "--bundle", fp.toString(), "--reference", fp.toString(),
                    "--max-episodes", "3", "--samples", "8", "--topk", "2", "--opt-steps", "1", "--max-iter", "1");
        } finally {
            System.setOut(stdout);
        }
        String table = out.toString(StandardCharsets.UTF_8);
        assertEquals(4, exit, table);
        assertTrue(table.contains("UNDECIDED after 3 pairs"), table);
        // the same model and planner seed on the same episodes: never one without the other
        assertTrue(table.contains("candidate only 0, reference only 0"), table);
        assertTrue(table.contains("+0.000"), table);
    }

    @Test
    void bundlesOfDifferentEnvironmentsAreRefusedByName(@TempDir Path dir) {
        Path fp = QuantizeCommandTest.randomWallBundle(dir.resolve("fp"));
        StringWriter err = new StringWriter();
        var cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute("verify", "--bundle", fp.toString(), "--reference", Path.of("../../models/pusht")
                .toString()));
        assertTrue(err.toString().contains("--bundle is a wall model, --reference a pusht one"), err.toString());
        assertEquals(2, cli.execute("verify", "--bundle", fp.toString()));
        assertTrue(err.toString().contains("Missing required option: '--reference=DIR'"), err.toString());
    }
}
