package dev.qwm.cli;

import dev.qwm.cli.study.ServiceClient;
import dev.qwm.cli.study.StudyRunner;
import dev.qwm.cli.study.StudySpec;
import dev.qwm.cli.study.StudyTable;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./qwm study run SPEC | status ID | report ID}: studies through the services; results from the collector. */
@Command(name = "study", description = "Run a study (quantize, dispatch, follow) through the services, or reattach to one.",
        subcommands = {StudyCommand.Run.class, StudyCommand.Status.class, StudyCommand.Report.class})
public final class StudyCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static ServiceClient client(LocalStack stack, String service) {
        return new ServiceClient(service, stack.url(service));
    }

    /**
     * Where the services are: by default the local stack (started when needed); with URLs, a remote deployment
     * (e.g. Kubernetes, port-forwarded), which this command never starts or stops.
     */
    static final class Endpoints {
        @Option(names = "--quantizer", paramLabel = "URL", description = "Quantizer service (remote mode).")
        String quantizer;

        @Option(names = "--planner", paramLabel = "URL", description = "A planner service (remote mode).")
        String planner;

        @Option(names = "--collector", paramLabel = "URL", description = "Collector service (remote mode).")
        String collector;

        boolean remote() {
            return quantizer != null || planner != null || collector != null;
        }

        ServiceClient client(LocalStack stack, String service) {
            String url = switch (service) {
                case "quantizer" -> quantizer;
                case "planner" -> planner;
                case "collector" -> collector;
                default -> null;
            };
            if (remote() && url == null) {
                throw new IllegalArgumentException("remote mode needs --" + service + " URL too");
            }
            return new ServiceClient(service, url != null ? url : stack.url(service));
        }
    }

    @Command(name = "run", description = "Start what is missing, quantize the recipes, dispatch the episodes, follow them, print the table.")
    static final class Run implements Runnable {
        @Parameters(paramLabel = "SPEC", description = "The study spec (YAML); see docs/studies/*.yaml.")
        Path specFile;

        @Option(names = "--planners", defaultValue = "" + LocalStack.DEFAULT_PLANNERS, description = "Planner workers to start if none run (default ${DEFAULT-VALUE}).")
        int planners;

        @Option(names = "--timeout-minutes", defaultValue = "120")
        long timeoutMinutes;

        @picocli.CommandLine.Mixin
        Endpoints endpoints = new Endpoints();

        @Override
        public void run() {
            StudySpec spec = StudySpec.read(specFile, !endpoints.remote()); // every field checked before the stack starts
            LocalStack stack = new LocalStack();
            if (!endpoints.remote()) {
                stack.up(planners, msg -> System.out.println("qwm: " + msg));
            }
            ServiceClient collector = endpoints.client(stack, "collector");
            StudyRunner runner = new StudyRunner(endpoints.client(stack, "quantizer"),
                    endpoints.client(stack, "planner"), collector, System.out);
            String id = runner.submit(spec);
            int failed = runner.watch(id, Duration.ofMinutes(timeoutMinutes));
            System.out.println();
            StudyTable.print(collector, id, System.out);
            System.out.println("\nresults: ./qwm study report " + id + "   (the collector's API: /api/v1/studies/" + id + ")");
            failIf(failed, id);
        }
    }

    @Command(name = "status", description = "Reattach to a study: follow its episodes until all are stored.")
    static final class Status implements Runnable {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--collector", paramLabel = "URL", description = "Collector service (default: the local one).")
        String collector;

        @Override
        public void run() {
            LocalStack stack = new LocalStack();
            ServiceClient results = collector != null ? new ServiceClient("collector", collector) : client(stack, "collector");
            StudyRunner runner = new StudyRunner(null, null, results, System.out);
            int failed = runner.watch(id, Duration.ofHours(12));
            StudyTable.print(results, id, System.out);
            failIf(failed, id);
        }
    }

    @Command(name = "report", description = "Print a study's table from the collector; --html/--csv also write the full"
            + " analysis (tables, alignment, cost, plots) as ./qwm report does.")
    static final class Report implements java.util.concurrent.Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--html", paramLabel = "DIR", description = "Write the HTML report (index.html, csv/) into DIR.")
        Path html;

        @Option(names = "--csv", paramLabel = "DIR", description = "Write the analysis tables as CSV into DIR.")
        Path csv;

        @Option(names = "--collector", paramLabel = "URL", description = "Collector service (default: the local one).")
        String collector;

        @Override
        public Integer call() {
            LocalStack stack = new LocalStack();
            String url = collector != null ? collector : stack.url("collector");
            StudyTable.print(new ServiceClient("collector", url), id, System.out);
            if (html == null && csv == null) {
                return 0;
            }
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--study", id, "--collector",
                    url, "--quiet"));
            if (html != null) {
                args.addAll(java.util.List.of("--html", html.toString()));
            }
            if (csv != null) {
                args.addAll(java.util.List.of("--csv", csv.toString()));
            }
            return QwmCommand.commandLine().execute(prepend("report", args));
        }

        private static String[] prepend(String first, java.util.List<String> rest) {
            java.util.List<String> all = new java.util.ArrayList<>();
            all.add(first);
            all.addAll(rest);
            return all.toArray(String[]::new);
        }
    }

    /** A study with dead-lettered episodes has ended, but failed: the command says so and exits non-zero. */
    static void failIf(int failed, String id) {
        if (failed > 0) {
            throw new IllegalStateException("study " + id + " ended failed: " + failed + " episode"
                    + (failed == 1 ? " was" : "s were") + " not planned (reasons above)");
        }
    }
}
