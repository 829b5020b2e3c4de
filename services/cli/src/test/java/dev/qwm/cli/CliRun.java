package dev.qwm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/**
 * One run of the qwm command line in this JVM, as a person types it: its exit code, what it printed on standard output
 * and what picocli reported on its error stream. The tests read commands' output through this one place.
 */
record CliRun(int exit, String out, String err) {

    static CliRun of(String... args) {
        PrintStream stdout = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            var cli = QwmCommand.commandLine();
            cli.setErr(new PrintWriter(err, true));
            int exit = cli.execute(args);
            System.out.flush();
            return new CliRun(exit, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(stdout);
        }
    }

    /** Its standard output, after checking that it succeeded (the failure names the command and its errors). */
    static String ok(String... args) {
        CliRun run = of(args);
        assertEquals(0, run.exit(), String.join(" ", args) + "\n" + run.err() + run.out());
        return run.out();
    }
}
