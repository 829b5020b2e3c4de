package dev.qwm.cli;

import dev.qwm.cli.study.StudyLog;
import dev.qwm.cli.study.ServiceClient;
import dev.qwm.cli.study.StudyCost;
import dev.qwm.cli.study.StudyProgress;
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
        subcommands = {StudyCommand.Run.class, StudyCommand.Status.class, StudyCommand.Report.class,
                StudyCommand.Estimate.class, StudyCommand.Findings.class})
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

    /** The collector a command reads from: the local stack's unless a URL is given. */
    static final class CollectorOption {
        @Option(names = "--collector", paramLabel = "URL", description = "Collector service (default: the local one).")
        String url;

        String url(LocalStack stack) {
            return url != null ? url : stack.url("collector");
        }

        ServiceClient client(LocalStack stack) {
            return new ServiceClient("collector", url(stack));
        }
    }

    /** The CPU time of a CEM step, as measured, or as the user measured it on their machine. */
    static final class CostRates {
        @Option(names = "--wall-cem-step-ms", defaultValue = "190", description = "CPU-ms of one Wall CEM step of 300"
                + " candidates (default ${DEFAULT-VALUE}, measured; see docs/studies/README.md).")
        double wall;

        @Option(names = "--pusht-cem-step-ms", defaultValue = "450", description = "CPU-ms of one PushT CEM step of 300"
                + " candidates (default ${DEFAULT-VALUE}, measured).")
        double pusht;

        StudyCost.Rates rates() {
            if (!(wall > 0) || !(pusht > 0)) {
                throw new IllegalArgumentException("--wall-cem-step-ms and --pusht-cem-step-ms must be positive");
            }
            return new StudyCost.Rates(wall, pusht);
        }
    }

    @Command(name = "findings", description = "The paper's claims against the episodes in study episode logs: paired"
            + " differences with 95%% intervals and a verdict per claim, as Markdown (no stack needed).")
    static final class Findings implements java.util.concurrent.Callable<Integer> {
        @Option(names = "--log", required = true, paramLabel = "DIR", description = "An episode log (repeatable),"
                + " e.g. docs/evals/quantwm-wall.")
        java.util.List<Path> logs;

        @Option(names = "--spec", paramLabel = "SPEC.yaml", description = "The spec of a log's study (repeatable;"
                + " matched to a --log by its log: folder), e.g. docs/studies/quantwm-wall.yaml: its grid tells a"
                + " comparison still to be planned (pending) from one the study does not have (not in the grid).")
        java.util.List<Path> specs = new java.util.ArrayList<>();

        @Option(names = "--out", paramLabel = "FILE", description = "Write the Markdown here (staged; an existing file"
                + " only with --force); default: print it.")
        Path out;

        @Option(names = "--force", description = "Replace an existing --out file.")
        boolean force;

        @Override
        public Integer call() throws java.io.IOException {
            java.util.Map<Path, java.util.Set<String>> grids = new java.util.HashMap<>();
            for (Path file : specs) {
                dev.qwm.cli.study.StudySpec spec = dev.qwm.cli.study.StudySpec.read(file, false);
                Path logDir = spec.log() == null ? null : Path.of(spec.log()).toAbsolutePath().normalize();
                if (logDir == null || logs.stream().noneMatch(l -> l.toAbsolutePath().normalize().equals(logDir))) {
                    throw new IllegalArgumentException("--spec " + file + ": its log folder "
                            + (logDir == null ? "(none)" : logDir) + " is none of the --log folders " + logs);
                }
                grids.put(logDir, spec.cells().stream().map(dev.qwm.cli.study.StudySpec.Cell::label)
                        .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new)));
            }
            StringBuilder md = new StringBuilder();
            md.append("Generated by `./qwm study findings` from the episode logs ").append(logs).append(". Verdicts by the"
                    + " rules of StudyFindings (margin ").append(dev.qwm.cli.study.StudyFindings.MARGIN)
                    .append(" in success rate; a difference is asserted only where the exact McNemar test also rejects none at p < ")
                    .append(dev.qwm.cli.study.StudyFindings.ALPHA).append("); pending: a cell of the study's grid not"
                            + " planned yet; not in the grid: a cell the study's spec does not have")
                    .append(grids.size() < logs.size() ? "; not in the log: a cell not planned, of a study whose spec"
                            + " was not given (--spec)" : "").append(".\n\n");
            for (Path dir : logs) {
                StudyLog log = StudyLog.read(dir);
                java.util.Set<String> grid = grids.get(dir.toAbsolutePath().normalize());
                var cells = dev.qwm.cli.study.StudyFindings.cells(log);
                String fp = cells.keySet().stream().filter(l -> l.startsWith("fp32@")).sorted(java.util.Comparator
                        .comparingInt((String l) -> cells.get(l).get(0).budget().maxIter())).findFirst().orElse("fp32");
                md.append(dev.qwm.cli.study.StudyFindings.markdown(log.studyId() + " (" + log.indices().size()
                        + " episodes)", cells, fp, grid)).append('\n');
            }
            if (out == null) {
                System.out.print(md);
                return 0;
            }
            dev.qwm.files.StagedWrite.file(out, "--out", "findings").force(force).write(staged -> {
                java.nio.file.Files.writeString(staged, md.toString());
                return null;
            });
            System.out.println("wrote " + out);
            return 0;
        }
    }

    @Command(name = "estimate", description = "What a study spec costs, cell by cell, in CPU time (nothing is started).")
    static final class Estimate implements Runnable {
        @Parameters(paramLabel = "SPEC", description = "The study spec (YAML).")
        Path specFile;

        @picocli.CommandLine.Mixin
        CostRates cost = new CostRates();

        @Override
        public void run() {
            StudyProgress.estimate(StudySpec.read(specFile), cost.rates(), System.out);
        }
    }

    @Command(name = "run", description = "Start what is missing, quantize the recipes, dispatch the episodes, follow them,"
            + " print the table. A spec with a log folder goes on where its episode log stands, on any stack.")
    static final class Run implements Runnable {
        @Parameters(paramLabel = "SPEC", description = "The study spec (YAML); see docs/studies/*.yaml.")
        Path specFile;

        @Option(names = "--planners", defaultValue = "" + LocalStack.DEFAULT_PLANNERS, description = "Planner workers to start if none run (default ${DEFAULT-VALUE}).")
        int planners;

        @Option(names = "--timeout-minutes", defaultValue = "120")
        long timeoutMinutes;

        @Option(names = "--export-minutes", defaultValue = "5", description = "How often stored episodes are added to"
                + " the spec's episode log (default ${DEFAULT-VALUE}).")
        long exportMinutes;

        @picocli.CommandLine.Mixin
        Endpoints endpoints = new Endpoints();

        @Option(names = "--allow-changed-artifacts", description = "Go on with a logged study although a re-created"
                + " artifact differs from the one its logged episodes were planned with (the cells then mix both).")
        boolean allowChangedArtifacts;

        @picocli.CommandLine.Mixin
        CostRates cost = new CostRates();

        @Override
        public void run() {
            StudySpec spec = StudySpec.read(specFile, !endpoints.remote()); // every field checked before the stack starts
            if (exportMinutes < 1) {
                throw new IllegalArgumentException("--export-minutes must be at least 1, got " + exportMinutes);
            }
            String id = StudyRunner.studyId(spec);
            StudyLog log = spec.log() == null ? null
                    : StudyLog.open(Path.of(spec.log()), id, StudyRunner.fingerprint(spec));
            LocalStack stack = new LocalStack();
            if (!endpoints.remote()) {
                ensurePushtDataset(spec.environment(), stack);
                stack.up(planners, msg -> System.out.println("qwm: " + msg));
            }
            ServiceClient collector = endpoints.client(stack, "collector");
            StudyRunner runner = new StudyRunner(endpoints.client(stack, "quantizer"),
                    endpoints.client(stack, "planner"), collector, System.out).allowChangedArtifacts(allowChangedArtifacts)
                    .artifactStore(endpoints.remote() ? null : stack.artifactsRoot());
            try {
                runner.submit(spec, id, log);
            } catch (IllegalArgumentException e) {
                if (e.getMessage() != null && e.getMessage().contains("exists with another spec")) {
                    throw new IllegalArgumentException("study " + id + " exists on this stack with another spec: the"
                            + " spec changed since it was submitted. Restore it to go on with that study, or give the"
                            + " changed spec another name (and log folder) to run it as a new study");
                }
                throw e;
            }
            runner.awaitRecorded(id);
            StudyProgress.status(collector, id, cost.rates(), System.out);
            Thread exportOnExit = log == null ? null : runner.exportOnExit(id, log, System.err);
            if (exportOnExit != null) {
                Runtime.getRuntime().addShutdownHook(exportOnExit);
            }
            int failed = runner.watch(id, Duration.ofMinutes(timeoutMinutes), log, Duration.ofMinutes(exportMinutes));
            if (exportOnExit != null) {
                Runtime.getRuntime().removeShutdownHook(exportOnExit); // complete: watch exported the last episodes
            }
            System.out.println();
            StudyTable.print(collector, id, System.out);
            System.out.println("\nresults: ./qwm study report " + id + "   (the collector's API: /api/v1/studies/" + id + ")");
            failIf(failed, id);
        }
    }

    @Command(name = "status", description = "How far a study is and the CPU time to finish it; then follow its episodes"
            + " until all are stored (--once: just the table).")
    static final class Status implements Runnable {
        @Parameters(paramLabel = "ID", description = "The study id (a spec's study: its name).")
        String id;

        @picocli.CommandLine.Mixin
        CollectorOption collector = new CollectorOption();

        @Option(names = "--once", description = "Print how far it is and exit, without following it.")
        boolean once;

        @picocli.CommandLine.Mixin
        CostRates cost = new CostRates();

        @Override
        public void run() {
            LocalStack stack = new LocalStack();
            ServiceClient results = collector.client(stack);
            StudyProgress.status(results, id, cost.rates(), System.out);
            if (once) {
                return;
            }
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

        @Option(names = "--log", paramLabel = "DIR", description = "The study's episode log (e.g. docs/evals/quantwm-wall):"
                + " rollout drift is kept in its drift/ folder, measured once per pair of models and reused by every"
                + " later report, on any machine.")
        Path log;

        @Option(names = "--remeasure-drift", description = "Measure the drift again and replace what the log's drift/ holds.")
        boolean remeasureDrift;

        @Option(names = "--force", description = "Replace an existing --html or --csv folder.")
        boolean force;

        @picocli.CommandLine.Mixin
        CollectorOption collector = new CollectorOption();

        @Override
        public Integer call() {
            LocalStack stack = new LocalStack();
            String url = collector.url(stack);
            StudyTable.print(new ServiceClient("collector", url), id, System.out);
            if (html == null && csv == null) {
                return 0;
            }
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--study", id, "--collector",
                    url, "--quiet"));
            if (log != null) {
                String logged = StudyLog.studyIdOf(log);
                if (!logged.equals(id)) {
                    throw new IllegalArgumentException("--log " + log + " is the episode log of study '" + logged
                            + "', not of '" + id + "'");
                }
                args.addAll(java.util.List.of("--drift-cache", log.resolve(StudyLog.DRIFT).toString()));
            } else if (remeasureDrift) {
                throw new IllegalArgumentException("--remeasure-drift replaces the drift kept with the study's log: give --log DIR");
            }
            if (remeasureDrift) {
                args.add("--remeasure-drift");
            }
            if (force) {
                args.add("--force");
            }
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

    /**
     * PushT's goals (and calibration episodes) are segments of a dataset's trajectories, which the local stack's
     * planners and quantizer read from {@link LocalStack#pushtDataset()}: made once, as {@code ./qwm dataset --env
     * pusht} makes it (the same seed, the same bytes), if it is not there.
     */
    static void ensurePushtDataset(String environment, LocalStack stack) {
        Path dataset = stack.pushtDataset();
        if (dev.qwm.env.EnvironmentKind.parse(environment) != dev.qwm.env.EnvironmentKind.PUSHT
                || java.nio.file.Files.exists(dataset.resolve(dev.qwm.env.dataset.DatasetManifest.FILE_NAME))) {
            return;
        }
        System.out.println("qwm: PushT goals come from a dataset; making it once: ./qwm dataset --env pusht --out " + dataset);
        int exit = QwmCommand.commandLine().execute("dataset", "--env", "pusht", "--out", dataset.toString());
        if (exit != 0) {
            throw new IllegalStateException("could not make the PushT dataset in " + dataset + " (exit " + exit + ")");
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
