package dev.qwm.analysis.table;

import dev.qwm.analysis.stats.Estimate;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A table of results, independent of how it is shown: typed columns, rows of cells, and notes. Cells are
 * {@link String}, {@link Number}, {@link Estimate} (a value with its 95 % interval) or null (no value). Terminal and
 * HTML show an estimate as {@code 0.62 [0.48, 0.74]}; CSV gives it three columns (value, lower, upper).
 *
 * @param id short name, used for the CSV file name and the HTML anchor
 */
public record ResultTable(String id, String title, String caption, List<Column> columns, List<List<Object>> rows,
                          List<String> notes) {

    /** How a column's cells are shown. */
    public enum Kind {
        TEXT, INTEGER, DECIMAL, RATE, DIFFERENCE, P_VALUE, CORRELATION
    }

    /** @param decimals for DECIMAL columns */
    public record Column(String name, Kind kind, int decimals) {
        public boolean numeric() {
            return kind != Kind.TEXT;
        }
    }

    public ResultTable {
        columns = List.copyOf(columns);
        rows = rows.stream().map(r -> java.util.Collections.unmodifiableList(new ArrayList<>(r))).toList();
        notes = List.copyOf(notes);
        for (List<Object> r : rows) {
            if (r.size() != columns.size()) {
                throw new IllegalArgumentException("table " + id + ": a row has " + r.size() + " cells for "
                        + columns.size() + " columns");
            }
        }
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /** The cell as text for terminal and HTML. */
    public String format(int column, Object cell) {
        Column c = columns.get(column);
        if (cell == null) {
            return "–";
        }
        if (cell instanceof Estimate e) {
            return switch (c.kind()) {
                case DIFFERENCE, CORRELATION -> e.formatSigned(2);
                default -> e.format(2);
            };
        }
        if (cell instanceof Number n) {
            double d = n.doubleValue();
            if (Double.isNaN(d)) {
                return "–";
            }
            return switch (c.kind()) {
                case INTEGER -> Long.toString(n.longValue());
                case P_VALUE -> d < 0.001 ? "<0.001" : String.format(Locale.ROOT, "%.3f", d);
                case RATE -> String.format(Locale.ROOT, "%.2f", d);
                case DIFFERENCE, CORRELATION -> String.format(Locale.ROOT, "%+.2f", d);
                case DECIMAL -> String.format(Locale.ROOT, "%." + c.decimals() + "f", d);
                case TEXT -> n.toString();
            };
        }
        return cell.toString();
    }

    public static Builder builder(String id, String title) {
        return new Builder(id, title);
    }

    /** Builds a table column by column, then row by row. */
    public static final class Builder {
        private final String id;
        private final String title;
        private String caption = "";
        private final List<Column> columns = new ArrayList<>();
        private final List<List<Object>> rows = new ArrayList<>();
        private final List<String> notes = new ArrayList<>();

        private Builder(String id, String title) {
            this.id = id;
            this.title = title;
        }

        public Builder caption(String caption) {
            this.caption = caption;
            return this;
        }

        public Builder text(String name) {
            columns.add(new Column(name, Kind.TEXT, 0));
            return this;
        }

        public Builder integer(String name) {
            columns.add(new Column(name, Kind.INTEGER, 0));
            return this;
        }

        public Builder decimal(String name, int decimals) {
            columns.add(new Column(name, Kind.DECIMAL, decimals));
            return this;
        }

        public Builder rate(String name) {
            columns.add(new Column(name, Kind.RATE, 2));
            return this;
        }

        public Builder difference(String name) {
            columns.add(new Column(name, Kind.DIFFERENCE, 2));
            return this;
        }

        public Builder pValue(String name) {
            columns.add(new Column(name, Kind.P_VALUE, 3));
            return this;
        }

        public Builder correlation(String name) {
            columns.add(new Column(name, Kind.CORRELATION, 2));
            return this;
        }

        public Builder row(Object... cells) {
            rows.add(java.util.Arrays.asList(cells));
            return this;
        }

        public Builder note(String note) {
            notes.add(note);
            return this;
        }

        public Builder notes(List<String> more) {
            notes.addAll(more);
            return this;
        }

        public ResultTable build() {
            return new ResultTable(id, title, caption, columns, rows, notes);
        }
    }
}
