package dev.qwm.analysis.report;

import com.fasterxml.jackson.databind.SequenceWriter;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.qwm.analysis.stats.Estimate;
import dev.qwm.analysis.table.ResultTable;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Result tables as CSV (RFC 4180, via Jackson): one header row, full-precision numbers, an estimate as three columns
 * ({@code success}, {@code success_lower}, {@code success_upper}), an empty cell for no value.
 */
public final class CsvTables {

    private static final CsvMapper CSV = new CsvMapper();

    private CsvTables() {
    }

    public static String toCsv(ResultTable table) {
        StringWriter w = new StringWriter();
        write(table, w);
        return w.toString();
    }

    public static Path write(ResultTable table, Path dir) {
        Path file = dir.resolve(table.id() + ".csv");
        try (Writer w = Files.newBufferedWriter(file)) {
            write(table, w);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }

    private static void write(ResultTable table, Writer out) {
        List<String> header = new ArrayList<>();
        for (ResultTable.Column c : table.columns()) {
            String name = slug(c.name());
            header.add(name);
            if (expands(c)) {
                header.add(name + "_lower");
                header.add(name + "_upper");
            }
        }
        CsvSchema.Builder schema = CsvSchema.builder();
        header.forEach(schema::addColumn);
        try (SequenceWriter w = CSV.writer(schema.build().withHeader()).writeValues(out)) {
            for (List<Object> row : table.rows()) {
                List<String> cells = new ArrayList<>();
                for (int i = 0; i < row.size(); i++) {
                    Object v = row.get(i);
                    ResultTable.Column c = table.columns().get(i);
                    if (expands(c)) {
                        Estimate e = v instanceof Estimate est ? est : null;
                        cells.add(e == null || !e.isDefined() ? "" : number(e.value()));
                        cells.add(e == null || !e.interval().isDefined() ? "" : number(e.interval().lower()));
                        cells.add(e == null || !e.interval().isDefined() ? "" : number(e.interval().upper()));
                    } else if (v instanceof Number n) {
                        cells.add(c.kind() == ResultTable.Kind.INTEGER ? Long.toString(n.longValue()) : number(n.doubleValue()));
                    } else {
                        cells.add(v == null ? "" : v.toString());
                    }
                }
                w.write(cells.toArray(String[]::new));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write table " + table.id() + " as CSV", e);
        }
    }

    private static boolean expands(ResultTable.Column c) {
        return c.kind() == ResultTable.Kind.RATE || c.kind() == ResultTable.Kind.DIFFERENCE
                || c.kind() == ResultTable.Kind.CORRELATION;
    }

    private static String number(double d) {
        if (Double.isNaN(d)) {
            return "";
        }
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : String.format(Locale.ROOT, "%.6g", d);
    }

    /** {@code Δ vs FP} → {@code delta_vs_fp}, {@code ms / CEM step} → {@code ms_per_cem_step}. */
    static String slug(String name) {
        String s = name.replace("Δ", "delta").replace("ρ", "rho").replace("−", "minus").replace("/", " per ")
                .replace("→", " to ").toLowerCase(Locale.ROOT);
        s = s.replaceAll("[^a-z0-9]+", "_").replaceAll("^_+|_+$", "");
        return s.isEmpty() ? "column" : s;
    }
}
