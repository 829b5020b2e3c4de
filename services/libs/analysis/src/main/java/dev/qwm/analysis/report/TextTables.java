package dev.qwm.analysis.report;

import dev.qwm.analysis.table.ResultTable;
import java.io.PrintStream;
import java.util.List;

/** Result tables as aligned plain text for a terminal: numbers right-aligned, a rule under the header, notes after. */
public final class TextTables {

    private TextTables() {
    }

    public static void print(ResultTable table, PrintStream out) {
        out.println(table.title());
        out.println("=".repeat(table.title().length()));
        TextTable text = new TextTable(table.columns().stream().map(ResultTable.Column::name).toList(),
                table.columns().stream().map(c -> (Boolean) c.numeric()).toList());
        for (List<Object> r : table.rows()) {
            Object[] cells = new Object[r.size()];
            for (int i = 0; i < r.size(); i++) {
                cells[i] = table.format(i, r.get(i));
            }
            text.row(cells);
        }
        text.print(out);
        for (String note : table.notes()) {
            out.println("  note: " + note);
        }
        out.println();
    }
}
