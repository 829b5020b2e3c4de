package dev.qwm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class HelpCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = QwmCommand.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void helpReachesCommandsAtAnyDepthAndEveryCommandTakesHelp() {
        assertEquals(0, run("help", "study", "report"));
        assertTrue(out.toString().startsWith("Usage: qwm study report"), out.toString());
        out.getBuffer().setLength(0);
        assertEquals(0, run("study", "report", "--help"));
        assertTrue(out.toString().startsWith("Usage: qwm study report"), out.toString());
    }

    @Test
    void errorsNameTheWholeCommandAndPointToAHelpThatShowsIt() {
        assertEquals(2, run("study", "report"));
        assertTrue(err.toString().startsWith("qwm study report: Missing required parameter: 'ID'"), err.toString());
        assertTrue(err.toString().contains("See ./qwm help study report."), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, run("help", "study", "nope"));
        assertTrue(err.toString().contains("study has no command 'nope'; its commands: run, status, report"), err.toString());
        assertTrue(err.toString().contains("See ./qwm help."), err.toString());
    }
}
