package dev.qwm.analysis.report;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An aligned plain-text table for a terminal: a header, a rule under it, then the rows. A column is right-aligned
 * when it is declared numeric; otherwise each cell that looks like a number is.
 */
public final class TextTable {

    private final List<String> header;
    /** Per column: true right-aligns, false left-aligns, null decides per cell. */
    private final List<Boolean> rightAligned;
    private final List<List<String>> rows = new ArrayList<>();

    public TextTable(String... header) {
        this(Arrays.asList(header), Arrays.asList(new Boolean[header.length]));
    }

    public TextTable(List<String> header, List<Boolean> rightAligned) {
        if (header.size() != rightAligned.size()) {
            throw new IllegalArgumentException(header.size() + " columns but " + rightAligned.size() + " alignments");
        }
        this.header = List.copyOf(header);
        this.rightAligned = new ArrayList<>(rightAligned);
    }

    public TextTable row(Object... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, header has " + header.size());
        }
        List<String> row = new ArrayList<>();
        for (Object c : cells) {
            row.add(String.valueOf(c));
        }
        rows.add(row);
        return this;
    }

    public void print(PrintStream out) {
        int[] width = new int[header.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = header.get(i).length();
            for (List<String> r : rows) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        out.println(line(header, width));
        StringBuilder rule = new StringBuilder();
        for (int i = 0; i < width.length; i++) {
            rule.append(i == 0 ? "" : "  ").append("-".repeat(width[i]));
        }
        out.println(rule);
        for (List<String> r : rows) {
            out.println(line(r, width));
        }
    }

    private String line(List<String> cells, int[] width) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i);
            Boolean declared = rightAligned.get(i);
            boolean right = declared != null ? declared : c.matches("[-+]?[0-9.,%±() ]+");
            String pad = " ".repeat(width[i] - c.length());
            b.append(i == 0 ? "" : "  ").append(right ? pad + c : c + (i == cells.size() - 1 ? "" : pad));
        }
        return b.toString().stripTrailing();
    }
}
