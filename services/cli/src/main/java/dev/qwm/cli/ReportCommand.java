package dev.qwm.cli;

import dev.qwm.analysis.report.TextTable;
import dev.qwm.analysis.AnalysisInputs;
import dev.qwm.analysis.StudyAnalyzer;
import dev.qwm.analysis.StudyReport;
import dev.qwm.analysis.data.CollectorStudyData;
import dev.qwm.analysis.data.StudyInfo;
import dev.qwm.analysis.data.StudySnapshot;
import dev.qwm.analysis.drift.DriftIo;
import dev.qwm.analysis.drift.RolloutDrift;
import dev.qwm.analysis.report.ReportWriter;
import dev.qwm.analysis.sensitivity.LayerSensitivity;
import dev.qwm.analysis.sensitivity.SensitivityIo;
import dev.qwm.progress.ProgressLine;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.WeightSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import dev.qwm.files.StagedWrite;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./qwm report --study ID}: a stored study's analysis, read from the collector's HTTP API: the paper's tables
 * with 95 % intervals and paired differences against FP, objective–success alignment, cost against success, and
 * (given their measurements) rollout drift and layer sensitivity; in the terminal, and as CSV and a self-contained
 * HTML report.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Analyse a stored study from the collector: success with Wilson intervals, paired differences "
                + "against FP (Newcombe), encoder vs predictor, budgets, objective-success alignment (Spearman, plateau "
                + "flags), cost Pareto fronts, rollout drift and layer sensitivity; as tables, CSV and an HTML report.",
                "Examples:",
                "  ./qwm report --list",
                "  ./qwm report --study ID --html reports/ID",
                "  ./qwm report --study ID --csv out/ --drift drift.json",
                "  ./qwm report --study ID --manifest models/wall-w4 --budget-bytes 400000 --low W4-g128 --high W8"})
public final class ReportCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--study", paramLabel = "ID", description = "The study to analyse.")
    String study;

    @Option(names = "--list", description = "List the collector's studies and exit.")
    boolean list;

    @Option(names = "--collector", paramLabel = "URL",
            description = "The collector's HTTP address (default: $QWM_COLLECTOR_URL or " + CollectorStudyData.DEFAULT_URL + ").")
    String collector;

    @Option(names = "--html", paramLabel = "DIR", description = "Write index.html (and csv/ beside it) into DIR.")
    Path html;

    @Option(names = "--csv", paramLabel = "DIR", description = "Write one CSV file per table into DIR.")
    Path csv;

    @Option(names = "--quiet", description = "No tables in the terminal (files only).")
    boolean quiet;

    @Option(names = "--drift", paramLabel = "FILE", description = "Rollout drift measurements (JSON, format qwm-drift/1).")
    List<Path> drift = new ArrayList<>();

    @Option(names = "--manifest", paramLabel = "PATH",
            description = "A quantizer manifest (quantization.json, a quantized bundle's model.json, or the bundle folder); repeatable.")
    List<Path> manifests = new ArrayList<>();

    @Option(names = "--budget-bytes", paramLabel = "N",
            description = "Suggest a mixed-precision recipe keeping the most sensitive layers at --high within N bytes of linear weights.")
    Long budgetBytes;

    @Option(names = "--low", defaultValue = "W4-g128", description = "Weight format of the other layers (default: ${DEFAULT-VALUE}).")
    String low;

    @Option(names = "--high", defaultValue = "W8", description = "Weight format of the kept layers (default: ${DEFAULT-VALUE}).")
    String high;

    @Option(names = "--method", defaultValue = "rtn", description = "Method of the suggested recipe (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--drift-segments", defaultValue = "32", paramLabel = "N",
            description = "Validation segments for the rollout drift measured from the study's bundles when they are on this"
                    + " machine and no --drift file is given (default: ${DEFAULT-VALUE}; 0 measures none).")
    int driftSegments;

    @Option(names = "--drift-horizon", defaultValue = "5", paramLabel = "H",
            description = "Macro steps of the drift rollouts (default: ${DEFAULT-VALUE}, the planner's horizon).")
    int driftHorizon;

    @Option(names = "--drift-cache", paramLabel = "DIR",
            description = "Keep rollout drift in DIR, one file per pair of models (e.g. a study log's drift/ folder):"
                    + " what is there is reused, what is measured is added (staged; never replaced without"
                    + " --remeasure-drift).")
    Path driftCache;

    @Option(names = "--remeasure-drift", description = "Measure the drift again and replace what --drift-cache holds.")
    boolean remeasureDrift;

    @Option(names = "--force", description = "Replace an existing --html or --csv folder (written staged, then renamed).")
    boolean force;

    @Option(names = "--timeout", defaultValue = "30", description = "Seconds to wait for each collector request (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() {
        String url = collector != null ? collector
                : Optional.ofNullable(System.getenv("QWM_COLLECTOR_URL")).orElse(CollectorStudyData.DEFAULT_URL);
        Duration timeout = Duration.ofSeconds(timeoutSeconds);
        if (list) {
            TextTable t = new TextTable("study", "name", "episodes", "completed", "successful");
            for (StudyInfo s : CollectorStudyData.listStudies(url, timeout)) {
                t.row(s.id(), s.name(), s.episodeCount(), s.completedCount(), s.successCount());
            }
            t.print(System.out);
            return 0;
        }
        if (study == null) {
            throw new ParameterException(spec.commandLine(), "give --study ID (or --list to see the studies)");
        }
        if (remeasureDrift && driftCache == null) {
            throw new ParameterException(spec.commandLine(), "--remeasure-drift replaces what --drift-cache holds: give --drift-cache DIR");
        }
        // refuse an existing report now, not after minutes of work
        targets().forEach(StagedWrite::check);
        StudySnapshot data = fetch(url, study, timeout);
        AnalysisInputs inputs = inputs(url, data);
        StudyReport report = StudyAnalyzer.analyze(data, inputs);
        if (!quiet) {
            ReportWriter.printText(report, System.out);
        }
        write(report, html, csv, force, readme(report, url), System.err);
        return 0;
    }

    /** Fetches a study with a progress bar over its episode traces. */
    static StudySnapshot fetch(String url, String study, Duration timeout) {
        ProgressLine[] bar = new ProgressLine[1];
        CollectorStudyData.FetchProgress progress = new CollectorStudyData.FetchProgress() {
            @Override
            public void started(int traces) {
                bar[0] = ProgressLine.on(System.err).task("traces of " + study).total(traces).unit("ep").start();
            }

            @Override
            public void fetched(int done) {
                bar[0].stepTo(done);
            }

            @Override
            public void finished() {
                if (bar[0] != null) {
                    bar[0].close();
                }
            }
        };
        return StudySnapshot.of(new CollectorStudyData(url, study, timeout, progress));
    }

    /** The folder of the HTML report: one that holds a report's index.html can be replaced (with --force). */
    static StagedWrite htmlTarget(Path html, boolean force) {
        return StagedWrite.folder(html, "--html", "report", d -> Files.isRegularFile(d.resolve(ReportWriter.HTML_FILE)))
                .force(force);
    }

    /** The folder of the CSV tables: one that holds CSV files only can be replaced (with --force). */
    static StagedWrite csvTarget(Path csv, boolean force) {
        return StagedWrite.folder(csv, "--csv", "folder of CSV tables", d -> {
            try (var files = Files.list(d)) {
                return files.allMatch(f -> Files.isRegularFile(f) && f.getFileName().toString().endsWith(".csv"));
            } catch (IOException e) {
                return false;
            }
        }).force(force);
    }

    private List<StagedWrite> targets() {
        List<StagedWrite> out = new ArrayList<>();
        if (html != null) {
            out.add(htmlTarget(html, force));
        }
        if (csv != null) {
            out.add(csvTarget(csv, force));
        }
        return out;
    }

    /**
     * Writes the HTML report (with its CSV and {@code readme} as README.md, when given) and/or the CSV tables, each
     * folder staged and renamed into place (an existing one only with {@code force}), and says where.
     */
    static void write(StudyReport report, Path html, Path csv, boolean force, String readme, PrintStream log) {
        try {
            if (html != null) {
                List<Path> files = htmlTarget(html, force).write(staged -> {
                    List<Path> written = new ArrayList<>(ReportWriter.writeHtml(report, staged));
                    if (readme != null) {
                        Path f = staged.resolve("README.md");
                        Files.writeString(f, readme);
                        written.add(f);
                    }
                    return written;
                });
                log.println("report: " + html.resolve(ReportWriter.HTML_FILE).toAbsolutePath() + " (" + files.size() + " files)");
            }
            if (csv != null) {
                List<Path> files = csvTarget(csv, force).write(staged -> ReportWriter.writeCsv(report, staged));
                log.println("tables: " + files.size() + " CSV files in " + csv.toAbsolutePath());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** What the report folder's README.md says: the study, at which n it was made, from where, and the drift's source. */
    private String readme(StudyReport report, String url) {
        StringBuilder md = new StringBuilder();
        md.append("# Study report: ").append(report.study().id()).append("\n\n");
        md.append(String.format(Locale.ROOT, "Made from %,d of the study's %,d episodes (%d configurations), as the"
                        + " collector at %s held them at %s, by `./qwm study report %s --html DIR%s`.%n%n",
                report.episodes(), report.study().episodeCount(), report.conditions().results().size(), url,
                java.time.format.DateTimeFormatter.ISO_INSTANT.format(report.generatedAt().truncatedTo(
                        java.time.temporal.ChronoUnit.SECONDS)), report.study().id(), driftCache == null ? ""
                        : driftCache.getFileName().toString().equals("drift") && driftCache.getParent() != null
                        ? " --log " + driftCache.getParent() : " --drift-cache " + driftCache));
        md.append("- `index.html`: the report (open it in a browser); `csv/`: each of its tables as CSV.\n");
        if (driftUsed != null) {
            md.append("- ").append(driftUsed).append("\n");
        }
        return md.toString();
    }

    /** Where the drift came from, for the README; null when none was shown. */
    private String driftUsed;

    private AnalysisInputs inputs(String url, StudySnapshot data) {
        List<RolloutDrift> curves = new ArrayList<>();
        drift.forEach(f -> curves.addAll(DriftIo.read(f)));
        List<LayerSensitivity> layers = new ArrayList<>();
        manifests.forEach(m -> layers.addAll(SensitivityIo.read(m)));
        // Without files given, measure from the study's own bundles (when they are on this machine).
        List<StudyMeasurements.Configuration> configurations = StudyMeasurements.configurations(data);
        if (curves.isEmpty() && driftSegments > 0) {
            DriftCache cache = driftCache == null ? DriftCache.NONE : DriftCache.open(driftCache, remeasureDrift);
            curves.addAll(StudyMeasurements.drift(configurations, driftSegments, driftHorizon, cache,
                    StudyMeasurements.originals(data), System.err));
            if (!curves.isEmpty()) {
                driftUsed = String.format(Locale.ROOT, "Rollout drift (%d validation segments, horizon %d): %s.",
                        driftSegments, driftHorizon, cache.enabled() ? cache.reused() + " pairs of models read from `"
                                + driftCache + "`, " + cache.written() + " measured now and kept there"
                                + measuredOn(cache) : "measured now from the study's bundles");
            }
        } else if (!curves.isEmpty()) {
            driftUsed = "Rollout drift: from " + drift;
        }
        if (layers.isEmpty()) {
            layers.addAll(StudyMeasurements.sensitivity(data, configurations, System.err));
        }
        Optional<AnalysisInputs.MixedPrecisionRequest> mixed = Optional.empty();
        if (budgetBytes != null) {
            if (layers.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "--budget-bytes needs per-layer errors: give --manifest");
            }
            mixed = Optional.of(new AnalysisInputs.MixedPrecisionRequest(weightSpec(low, "--low"), weightSpec(high, "--high"),
                    budgetBytes, QuantMethod.parse(method)));
        }
        return new AnalysisInputs(curves, layers, mixed, url);
    }

    private static String measuredOn(DriftCache cache) {
        var on = cache.entries().stream().map(DriftCache.Entry::measuredOn).distinct().sorted().toList();
        return on.isEmpty() ? "" : " (measured on " + String.join("; ", on) + ")";
    }

    private static final Pattern WEIGHTS = Pattern.compile("w?(\\d+)(?:-g(\\d+))?");

    /** {@code W4-g128}, {@code w8}, {@code 6}. */
    WeightSpec weightSpec(String text, String option) {
        Matcher m = WEIGHTS.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new ParameterException(spec.commandLine(), option + " must look like W4-g128 or W8, got '" + text + "'");
        }
        return new WeightSpec(Integer.parseInt(m.group(1)), m.group(2) == null ? 0 : Integer.parseInt(m.group(2)));
    }
}
