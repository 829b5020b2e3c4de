package dev.qwm.cli;

import dev.qwm.analysis.report.TextTable;
import dev.qwm.infra.LocalServices;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./qwm services up|status|down}: the five services as local processes, over {@code ./qwm infra}. */
@Command(name = "services", description = "Start, list or stop the qwm services as local processes (starts the broker and database too).",
        subcommands = {ServicesCommand.Up.class, ServicesCommand.Status.class, ServicesCommand.Down.class,
                ServicesCommand.CancelJob.class})
public final class ServicesCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "up", description = "Start the broker, the database and every service that is not running.")
    static final class Up implements Runnable {
        @Option(names = "--planners", defaultValue = "" + LocalStack.DEFAULT_PLANNERS, description = "Planner workers (default ${DEFAULT-VALUE}).")
        int planners;

        @Option(names = "--tls", description = "Serve HTTPS and gRPC over TLS only and require a bearer token: a CA,"
                + " a certificate for 127.0.0.1 and a token are made once in .qwm/tls (the CLI uses them itself;"
                + " other clients: trust .qwm/tls/ca.crt, send Authorization: Bearer $(cat .qwm/tls/token)).")
        boolean tls;

        @Override
        public void run() {
            LocalStack stack = new LocalStack();
            stack.up(planners, tls, msg -> System.out.println("qwm: " + msg));
            printStatus(stack);
        }
    }

    @Command(name = "status", description = "The running services, their ports and logs.")
    static final class Status implements Runnable {
        @Override
        public void run() {
            LocalStack stack = new LocalStack();
            InfraCommand.printStatus(stack.infrastructure());
            System.out.println();
            printStatus(stack);
        }
    }

    @Command(name = "down", description = "Stop services by PID (all, or the named ones); --infra stops the broker and database too.")
    static final class Down implements Runnable {
        @Parameters(arity = "0..*", description = "Service names (e.g. planner-2); none = all.")
        List<String> names = List.of();

        @Option(names = "--infra", description = "Also stop Kafka and PostgreSQL.")
        boolean infra;

        @Override
        public void run() {
            LocalStack stack = new LocalStack();
            stack.services().down(names, msg -> System.out.println("qwm: " + msg));
            if (infra) {
                stack.infrastructure().down(msg -> System.out.println("qwm infra: " + msg));
            }
        }
    }

    @Command(name = "cancel-job", description = "Cancel a job of the quantizer service: a queued one never runs, a"
            + " running one stops before it stores anything (a finished one is shown as it is).")
    static final class CancelJob implements Runnable {
        @Parameters(arity = "1", paramLabel = "JOB_ID", description = "The job id (the output bundle's folder name).")
        String jobId;

        @Option(names = "--quantizer", paramLabel = "URL", description = "Quantizer service (default: the local stack's).")
        String quantizer;

        @Override
        public void run() {
            var client = new dev.qwm.cli.study.ServiceClient("quantizer",
                    quantizer != null ? quantizer : new LocalStack().url("quantizer"));
            var job = client.post("/api/v1/quantizations/"
                            + java.net.URLEncoder.encode(jobId, java.nio.charset.StandardCharsets.UTF_8) + "/cancel",
                    com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode());
            System.out.println("qwm: job " + jobId + " is " + job.path("state").asText() + ": "
                    + job.path("message").asText());
        }
    }

    static void printStatus(LocalStack stack) {
        LocalServices services = stack.services();
        TextTable t = new TextTable("service", "pid", "address", "log");
        for (LocalServices.Running r : services.running()) {
            t.row(r.name(), r.pid(), r.baseUrl(), stack.root().relativize(services.logFile(r.name())));
        }
        t.print(System.out);
    }
}
