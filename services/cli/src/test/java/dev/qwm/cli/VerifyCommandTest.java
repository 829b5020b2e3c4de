package dev.qwm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyCommandTest {

    @Test
    void aBundleAgainstItselfAgreesOnEveryPairAndIsUndecidedWhenThePairsRunOut(@TempDir Path dir) {
        Path fp = QuantizeCommandTest.randomWallBundle(dir.resolve("fp"));
        CliRun run = CliRun.of("verify", "--bundle", fp.toString(), "--reference", fp.toString(),
                "--max-episodes", "3", "--samples", "8", "--topk", "2", "--opt-steps", "1", "--max-iter", "1");
        String table = run.out();
        assertEquals(4, run.exit(), table);
        assertTrue(table.contains("UNDECIDED after 3 pairs"), table);
        // the same model and planner seed on the same episodes: never one without the other
        assertTrue(table.contains("candidate only 0, reference only 0"), table);
        assertTrue(table.contains("+0.000"), table);
        // no stack runs under the test's working directory and no --collector is given: said once
        assertEquals(1, table.split("not stored by a collector", -1).length - 1, table);
    }

    @Test
    void anInProcessVerdictGoesToTheCollectorGivenAndSaysSoWhenItCannot(@TempDir Path dir) {
        Path fp = QuantizeCommandTest.randomWallBundle(dir.resolve("fp"));
        // nothing listens on port 1: the verdict stands, and the output says it was not stored and why
        CliRun run = CliRun.of("verify", "--in-process", "--collector", "http://127.0.0.1:1",
                "--bundle", fp.toString(), "--reference", fp.toString(), "--max-episodes", "1", "--samples", "8",
                "--topk", "2", "--opt-steps", "1", "--max-iter", "1");
        String printed = run.out();
        assertEquals(4, run.exit(), printed);
        assertTrue(printed.contains("not stored by the collector at http://127.0.0.1:1: "), printed);
        assertEquals(1, printed.split("not stored", -1).length - 1, printed);
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

    @Test
    void aLoggedVerificationIsRefusedAgainAndGoesOnWithResume(@TempDir Path dir) throws Exception {
        Path fp = QuantizeCommandTest.randomWallBundle(dir.resolve("fp"));
        Path log = dir.resolve("log");
        String[] small = {"--bundle", fp.toString(), "--reference", fp.toString(), "--log", log.toString(),
                "--samples", "8", "--topk", "2", "--opt-steps", "1", "--max-iter", "1"};
        assertEquals(4, execute(small, "--max-episodes", "2"));
        assertEquals(2, java.nio.file.Files.readAllLines(log.resolve("candidate.episodes.jsonl")).size());
        byte[] before = java.nio.file.Files.readAllBytes(log.resolve("reference.episodes.jsonl"));

        StringWriter err = new StringWriter();
        var cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        String[] again = concat(new String[]{"verify"}, small);
        assertEquals(1, cli.execute(again));
        assertTrue(err.toString().contains("holds a verification already: pass --resume"), err.toString());
        assertTrue(java.util.Arrays.equals(before, java.nio.file.Files.readAllBytes(log.resolve("reference.episodes.jsonl"))),
                "a refused run leaves the log as it was");

        assertEquals(4, execute(small, "--max-episodes", "3", "--resume"));
        var lines = java.nio.file.Files.readAllLines(log.resolve("reference.episodes.jsonl"));
        assertEquals(3, lines.size(), "the two logged pairs are taken, one more is planned");
        assertTrue(new String(before, java.nio.charset.StandardCharsets.UTF_8).startsWith(lines.get(0)));

        err.getBuffer().setLength(0);
        assertEquals(1, cli.execute(concat(again, "--resume", "--seed", "5")));
        assertTrue(err.toString().contains("planner seed 0; this verification plans with"), err.toString());
    }

    @Test
    void theModeIsChosenOnceAndThroughTheServicesNeedsAStack(@TempDir Path dir) {
        Path fp = QuantizeCommandTest.randomWallBundle(dir.resolve("fp"));
        StringWriter err = new StringWriter();
        var cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute("verify", "--bundle", fp.toString(), "--reference", fp.toString(), "--in-process",
                "--through-services"));
        assertTrue(err.toString().contains("give one"), err.toString());
        // no stack runs under the test's working directory
        assertEquals(1, cli.execute("verify", "--bundle", fp.toString(), "--reference", fp.toString(),
                "--through-services"));
        assertTrue(err.toString().contains("no local stack runs"), err.toString());
        assertEquals(1, cli.execute("verify", "--bundle", fp.toString(), "--reference", fp.toString(),
                "--planner", "http://127.0.0.1:1"));
        assertTrue(err.toString().contains("needs both --planner URL and --collector URL"), err.toString());
        assertEquals(1, cli.execute("verify", "--bundle", fp.toString(), "--reference", fp.toString(),
                "--through-services", "--planner", "http://127.0.0.1:1", "--collector", "http://127.0.0.1:1",
                "--log", dir.resolve("log").toString()));
        assertTrue(err.toString().contains("are for --in-process"), err.toString());
        assertEquals(1, cli.execute("verify", "--bundle", fp.toString(), "--reference", fp.toString(),
                "--in-process", "--planner", "http://127.0.0.1:1"));
        assertTrue(err.toString().contains("--in-process plans here: --planner does not apply"), err.toString());
    }

    private static int execute(String[] common, String... more) {
        return CliRun.of(concat(concat(new String[]{"verify"}, common), more)).exit();
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
