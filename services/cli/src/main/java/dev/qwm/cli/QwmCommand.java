package dev.qwm.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ./qwm} entry point. Each subcommand lives in its own class; register it in
 * {@code subcommands} below and it appears in {@code ./qwm help}.
 */
@Command(
        name = "qwm",
        mixinStandardHelpOptions = true,
        version = "qwm 0.1.0",
        description = "Quantize world models and measure, by closed-loop planning, what quantization does to them.",
        subcommands = {
                CommandLine.HelpCommand.class,
        })
public final class QwmCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests execute it in-process). */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new QwmCommand());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // A user error (bad file, bad spec) gets its message, not a stack trace.
            cmd.getErr().println(cmd.getColorScheme().errorText("qwm " + cmd.getCommandName() + ": " + ex.getMessage()));
            if (System.getenv("QWM_DEBUG") != null) {
                ex.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cli;
    }
}
