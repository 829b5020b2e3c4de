package dev.qwm.cli;

import dev.qwm.analysis.report.TextTable;
import dev.qwm.infra.LocalInfrastructure;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./qwm infra up|status|down}: the local Kafka broker and PostgreSQL that the services use. */
@Command(name = "infra",
        description = "Start, inspect or stop the local Kafka broker and PostgreSQL (real servers from Maven artifacts).",
        subcommands = {InfraCommand.Up.class, InfraCommand.Status.class, InfraCommand.Down.class})
public final class InfraCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Options shared by the three subcommands. */
    static class Where {
        @Option(names = "--data-dir", description = "Where the servers keep their data (default: ${DEFAULT-VALUE}).",
                defaultValue = "${env:QWM_INFRA_DIR:-${env:QWM_HOME:-.}/.qwm/infra}")
        Path dataDir;

        LocalInfrastructure infra() {
            return new LocalInfrastructure(dataDir);
        }
    }

    @Command(name = "up", description = "Start Kafka and PostgreSQL (if not running) and create the qwm topics.")
    static final class Up implements Runnable {
        @picocli.CommandLine.Mixin
        Where where = new Where();

        @Option(names = "--kafka-port", defaultValue = "" + LocalInfrastructure.DEFAULT_KAFKA_PORT)
        int kafkaPort;

        @Option(names = "--kafka-controller-port", defaultValue = "" + LocalInfrastructure.DEFAULT_KAFKA_CONTROLLER_PORT)
        int controllerPort;

        @Option(names = "--postgres-port", defaultValue = "" + LocalInfrastructure.DEFAULT_POSTGRES_PORT)
        int postgresPort;

        @Override
        public void run() {
            LocalInfrastructure infra = where.infra();
            infra.up(kafkaPort, controllerPort, postgresPort, msg -> System.out.println("qwm infra: " + msg));
            printStatus(infra);
        }
    }

    @Command(name = "status", description = "Show both servers, their PIDs, ports and data.")
    static final class Status implements java.util.concurrent.Callable<Integer> {
        @picocli.CommandLine.Mixin
        Where where = new Where();

        @Override
        public Integer call() {
            return printStatus(where.infra()) ? 0 : 3;
        }
    }

    @Command(name = "down", description = "Stop both servers by PID (their data is kept).")
    static final class Down implements Runnable {
        @picocli.CommandLine.Mixin
        Where where = new Where();

        @Override
        public void run() {
            LocalInfrastructure infra = where.infra();
            List<Long> killed = infra.down(msg -> System.out.println("qwm infra: " + msg));
            if (!killed.isEmpty()) {
                System.out.println("qwm infra: had to kill " + killed + " after the clean stop timed out");
            }
            printStatus(infra);
        }
    }

    /** Prints the status table; returns whether both servers run. */
    static boolean printStatus(LocalInfrastructure infra) {
        var rows = infra.status();
        TextTable table = new TextTable("server", "state", "pid", "address", "data", "holds");
        for (var s : rows) {
            table.row(s.name(), s.running() ? "running" : "stopped", s.pid() > 0 ? Long.toString(s.pid()) : "-",
                    "127.0.0.1:" + s.port(), s.dataDir().toString(), s.detail());
        }
        table.print(System.out);
        return rows.stream().allMatch(LocalInfrastructure.ServerStatus::running);
    }
}
