package dev.qwm.analysis.report;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** Result tables as aligned plain text for a terminal: numbers right-aligned, a rule under the header, notes after. */
public final class TextTables {

    private TextTables() {
    }

    public static void print(ResultTable table, PrintStream out) {
        out.println(table.title());
        out.println("=".repeat(table.title().length()));
        List<String> header = table.columns().stream().map(ResultTable.Column::name).toList();
        List<List<String>> rows = new ArrayList<>();
        for (List<Object> r : table.rows()) {
            List<String> cells = new ArrayList<>();
            for (int i = 0; i < r.size(); i++) {
                cells.add(table.format(i, r.get(i)));
            }
            rows.add(cells);
        }
        int[] width = new int[header.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = header.get(i).length();
            for (List<String> r : rows) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        out.println(line(header, width, table));
        StringBuilder rule = new StringBuilder();
        for (int i = 0; i < width.length; i++) {
            rule.append(i == 0 ? "" : "  ").append("-".repeat(width[i]));
        }
        out.println(rule);
        for (List<String> r : rows) {
            out.println(line(r, width, table));
        }
        for (String note : table.notes()) {
            out.println("  note: " + note);
        }
        out.println();
    }

    private static String line(List<String> cells, int[] width, ResultTable table) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i);
            String pad = " ".repeat(width[i] - c.length());
            boolean right = table.columns().get(i).numeric();
            b.append(i == 0 ? "" : "  ").append(right ? pad + c : c + (i == cells.size() - 1 ? "" : pad));
        }
        return b.toString().stripTrailing();
    }
}
