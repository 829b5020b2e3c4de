package dev.qwm.cli;

import dev.qwm.cli.study.StudyRunner;
import dev.qwm.cli.study.StudySpec;
import dev.qwm.cli.study.StudyTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./qwm demo}: the whole system on this machine for one small but real study, then everything it started
 * is stopped again.
 */
@Command(name = "demo", description = "Start the broker, the database and the services, run a small real study on the shipped Wall model, print the table, stop.")
public final class DemoCommand implements Runnable {

    @Option(names = "--spec", description = "Study spec (default: ${DEFAULT-VALUE}).", defaultValue = "docs/studies/demo-wall.yaml")
    Path specFile;

    @Option(names = "--keep-running", description = "Leave the services, broker and database running afterwards.")
    boolean keepRunning;

    @Override
    public void run() {
        LocalStack stack = new LocalStack();
        Path spec = specFile.isAbsolute() ? specFile : stack.root().resolve(specFile);
        if (!Files.exists(spec)) {
            throw new IllegalArgumentException("demo spec " + spec + " does not exist");
        }
        StudySpec study = StudySpec.read(spec);
        System.out.printf("qwm demo: study '%s' on %s: %d recipes x %d budget(s) x %d episodes; budget %s%n",
                study.name(), study.bundle(), study.recipes().size(), study.budgets().size(), study.episodes(),
                study.budgets().stream().map(b -> describe(b.resolve(study.environment()))).toList());
        LocalStack.Started started = stack.up(LocalStack.DEFAULT_PLANNERS, msg -> System.out.println("qwm: " + msg));
        try {
            StudyRunner runner = new StudyRunner(StudyCommand.client(stack, "quantizer"),
                    StudyCommand.client(stack, "planner"), StudyCommand.client(stack, "collector"), System.out);
            String id = runner.submit(study);
            int failed = runner.watch(id, Duration.ofMinutes(60));
            System.out.println();
            StudyTable.print(StudyCommand.client(stack, "collector"), id, System.out);
            System.out.printf("%nfull results: in PostgreSQL (%s), over HTTP at %s/api/v1/studies/%s; ./qwm study report %s"
                    + " reprints the table while the collector runs (./qwm services up).%n",
                    stack.infrastructure().state().map(s -> s.jdbcUrl()).orElse("?"), stack.url("collector"), id, id);
            StudyCommand.failIf(failed, id);
        } finally {
            if (keepRunning) {
                System.out.println("qwm demo: left running (./qwm services down --infra stops everything)");
            } else {
                stack.down(started, msg -> System.out.println("qwm: " + msg));
            }
        }
    }

    private static String describe(dev.qwm.planning.PlannerBudget b) {
        return String.format(java.util.Locale.ROOT, "CEM %d samples x %d steps, horizon %d, MPC max_iter %d",
                b.samples(), b.optSteps(), b.horizon(), b.maxIter());
    }
}
