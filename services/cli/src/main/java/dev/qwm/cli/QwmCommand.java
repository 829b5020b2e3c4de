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
                HelpCommand.class,
                DatasetCommand.class,
                EnvCommand.class,
                InfraCommand.class,
                EvalCommand.class,
                TrainCommand.class,
                ModelCommand.class,
                ImportCommand.class,
                QuantizeCommand.class,
                BenchCommand.class,
                VerifyCommand.class,
                AutoQuantCommand.class,
                CompareCommand.class,
                ServicesCommand.class,
                StudyCommand.class,
                DemoCommand.class,
                ReportCommand.class,
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
        withHelpOptions(cli);
        cli.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            java.io.PrintWriter err = cmd.getErr();
            if (ex instanceof CommandLine.UnmatchedArgumentException unmatched && cmd.getParent() == null
                    && !unmatched.getUnmatched().isEmpty() && !unmatched.getUnmatched().get(0).startsWith("-")) {
                err.println("qwm: unknown command '" + unmatched.getUnmatched().get(0) + "'. Commands: "
                        + String.join(", ", cmd.getSubcommands().keySet()) + ". See ./qwm help.");
            } else {
                String name = cmd.getCommandSpec().qualifiedName(" ").replaceFirst("^qwm ?", "");
                err.println("qwm " + name + ": " + ex.getMessage());
                err.println(cmd.getCommandSpec().helpCommand() ? "See ./qwm help." : "See ./qwm help " + name + ".");
            }
            return 2;
        });
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // A user error (bad file, bad spec) gets its message, not a stack trace.
            cmd.getErr().println(cmd.getColorScheme().errorText("qwm " + cmd.getCommandName() + ": " + explain(ex)));
            if (System.getenv("QWM_DEBUG") != null) {
                ex.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cli;
    }

    /** --help and --version on every command at every depth (./qwm study report --help). */
    private static void withHelpOptions(CommandLine command) {
        if (!command.getCommandSpec().mixinStandardHelpOptions()) {
            command.getCommandSpec().mixinStandardHelpOptions(true);
        }
        command.getSubcommands().values().forEach(QwmCommand::withHelpOptions);
    }

    /** The message and, where they add to it, its causes' (a wrapped "No space left on device" is the point). */
    static String explain(Throwable ex) {
        StringBuilder text = new StringBuilder(String.valueOf(ex.getMessage() != null ? ex.getMessage() : ex));
        for (Throwable c = ex.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            String m = c.getMessage() != null ? c.getMessage() : c.getClass().getSimpleName();
            if (!text.toString().contains(m)) {
                text.append(": ").append(m);
            }
        }
        return text.toString();
    }
}
