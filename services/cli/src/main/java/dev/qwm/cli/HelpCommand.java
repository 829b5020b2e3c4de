package dev.qwm.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code ./qwm help [COMMAND...]}: the help of any command, however deep ({@code ./qwm help study report}); picocli's
 * own help command stops at the first level and would print the parent's help there, while every error message points
 * users here.
 */
@Command(name = "help", helpCommand = true, description = "Show the help of a command: ./qwm help study report.")
final class HelpCommand implements CommandLine.IHelpCommandInitializable2, Runnable {

    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "The command, e.g. study report.")
    List<String> path = new ArrayList<>();

    private CommandLine self;
    private PrintWriter out;

    @Override
    public void init(CommandLine helpCommandLine, CommandLine.Help.ColorScheme colorScheme, PrintWriter out,
                     PrintWriter err) {
        this.self = helpCommandLine;
        this.out = out;
    }

    @Override
    public void run() {
        CommandLine command = self.getParent();
        for (String name : path) {
            CommandLine next = command.getSubcommands().get(name);
            if (next == null) {
                throw new CommandLine.ParameterException(self, "'" + String.join(" ", path) + "': "
                        + command.getCommandName() + " has no command '" + name + "'; its commands: "
                        + String.join(", ", command.getSubcommands().keySet().stream().filter(n -> !n.equals("help")).toList()));
            }
            command = next;
        }
        command.usage(out);
        out.flush();
    }
}
