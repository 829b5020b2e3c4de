package dev.qwm.analysis.report;

import dev.qwm.analysis.StudyReport;
import dev.qwm.analysis.table.ResultTable;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes a report as files: {@code index.html}, {@code csv/<table>.csv}, and the suggested recipe if there is one. */
public final class ReportWriter {

    public static final String HTML_FILE = "index.html";
    public static final String RECIPE_FILE = "mixed-precision.yaml";

    private ReportWriter() {
    }

    /** The HTML report with its tables as CSV beside it (under csv/); returns the files written. */
    public static List<Path> writeHtml(StudyReport report, Path dir) {
        List<Path> written = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            Path html = dir.resolve(HTML_FILE);
            Files.writeString(html, HtmlReport.render(report));
            written.add(html);
            report.sensitivity().suggestion().ifPresent(s -> {
                Path recipe = dir.resolve(RECIPE_FILE);
                try {
                    Files.writeString(recipe, s.yaml());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write " + recipe, e);
                }
                written.add(recipe);
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report into " + dir + ": " + e.getMessage(), e);
        }
        written.addAll(writeCsv(report, dir.resolve("csv")));
        return written;
    }

    /** One CSV file per table. */
    public static List<Path> writeCsv(StudyReport report, Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        return report.tables().stream().map(t -> CsvTables.write(t, dir)).toList();
    }

    /** The findings and every table as text. */
    public static void printText(StudyReport report, PrintStream out) {
        out.println("Study " + report.study().id() + (report.study().name().isBlank() ? "" : " (" + report.study().name() + ")")
                + ": " + report.episodes() + " completed episodes, " + report.conditions().results().size()
                + " configurations");
        out.println();
        List<String> findings = report.findings();
        if (!findings.isEmpty()) {
            out.println("Findings");
            out.println("========");
            findings.forEach(f -> out.println("- " + f));
            out.println();
        }
        for (ResultTable t : report.tables()) {
            TextTables.print(t, out);
        }
        out.println("Ran on");
        out.println("======");
        report.ranOn().forEach((config, lines) -> lines.forEach(l -> out.println("- " + config + ": " + l)));
        out.println();
        report.sensitivity().suggestion().ifPresent(s -> {
            out.println("Suggested recipe");
            out.println("================");
            out.println(s.yaml());
        });
    }
}
