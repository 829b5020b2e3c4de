package dev.qwm.analysis.autoquant;

import dev.qwm.analysis.report.Charts;
import dev.qwm.analysis.report.TextTable;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The front of an automatic quantization: every candidate that reached the planning check, its cost against full
 * precision, its cheap signals, and what the paired verification found (Δ success with its confidence-sequence
 * interval, the verdict, the episodes it took). As a terminal table, markdown and an SVG plot.
 */
public final class AutoQuantFront {

    /**
     * One candidate.
     *
     * @param costRatio  its cost (the budget's kind) over full precision's
     * @param bytesRatio its weight bytes over full precision's
     * @param noise      summed relative output noise of its layers (the first signal)
     * @param drift      rollout drift against full precision at the last horizon step (the second; NaN: not measured)
     * @param verdict    PASS, FAIL, UNDECIDED, or null when it was not verified
     * @param pairs      pairs the verification used
     * @param planned    episodes of the candidate planned by its verification
     * @param fixedPairs pairs a fixed-n test would have needed for the same decision at 80 % power (at the observed
     *                   Δ and discordance; −1 when none passes there, or not verified)
     * @param fit        how its cost stands against the budget (only candidates {@link AutoQuantBudget.Fit#UNDER} it
     *                   are ranked by drift and verified; the others are listed with their measured cost)
     */
    public record Row(String name, String description, long bytes, double bytesRatio, double costRatio, double noise,
                      double drift, String verdict, double delta, double lower, double upper, int pairs, int planned,
                      int candidateSuccesses, int referenceSuccesses, int fixedPairs, AutoQuantBudget.Fit fit) {

        public Row {
            if (fit == null) {
                throw new IllegalArgumentException("candidate " + name + ": how it stands against the budget is missing");
            }
        }

        public boolean verified() {
            return verdict != null;
        }
    }

    private final String title;
    private final AutoQuantBudget budget;
    private final double margin;
    private final List<Row> rows;

    public AutoQuantFront(String title, AutoQuantBudget budget, double margin, List<Row> rows) {
        this.title = title;
        this.budget = budget;
        this.margin = margin;
        this.rows = rows.stream().sorted(Comparator.comparingDouble(Row::costRatio).thenComparing(Row::name)).toList();
    }

    public List<Row> rows() {
        return rows;
    }

    /**
     * The n of a grid of the verified candidates at a fixed n: the most pairs a fixed-n test needs (80 % power at
     * what was observed) for any candidate it passes; empty when it passes none.
     */
    public java.util.OptionalInt fixedGridPairs() {
        return rows.stream().filter(r -> r.verified() && r.fixedPairs() >= 0).mapToInt(Row::fixedPairs).max();
    }

    /** Episodes that grid plans: n for every verified candidate and n for the reference, planned once for all. */
    public java.util.OptionalInt fixedGridEpisodes() {
        long verified = rows.stream().filter(Row::verified).count();
        return fixedGridPairs().isPresent() ? java.util.OptionalInt.of((int) (verified + 1) * fixedGridPairs().getAsInt())
                : java.util.OptionalInt.empty();
    }

    private List<List<String>> cells() {
        List<List<String>> out = new ArrayList<>();
        for (Row r : rows) {
            out.add(List.of(r.name(), String.format(Locale.ROOT, "%.3f", r.costRatio()), r.fit().label(),
                    String.format(Locale.ROOT, "%,.1f", r.bytes() / 1024.0), String.format(Locale.ROOT, "%.3g", r.noise()),
                    Double.isNaN(r.drift()) ? "-" : String.format(Locale.ROOT, "%.3g", r.drift()),
                    r.verified() ? r.verdict() : "not verified",
                    r.verified() ? String.format(Locale.ROOT, "%+.3f [%+.3f, %+.3f]", r.delta(), r.lower(), r.upper()) : "-",
                    r.verified() ? r.candidateSuccesses() + " vs " + r.referenceSuccesses() + " of " + r.pairs() : "-",
                    r.verified() ? Integer.toString(r.planned()) : "-",
                    r.verified() && r.fixedPairs() >= 0 ? Integer.toString(r.fixedPairs()) : "-"));
        }
        return out;
    }

    private static final List<String> HEADER = List.of("candidate", "cost / FP", "budget", "weight KiB", "noise", "drift vs FP",
            "verdict", "Δ success [conf. seq.]", "successes (cand. vs FP)", "episodes planned", "fixed-n pairs");

    public void print(PrintStream out) {
        TextTable t = new TextTable(HEADER.toArray(String[]::new));
        cells().forEach(c -> t.row(c.toArray()));
        t.print(out);
    }

    public String markdown(Map<String, String> facts) {
        StringBuilder b = new StringBuilder("# " + title + "\n\n");
        facts.forEach((k, v) -> b.append("- ").append(k).append(": ").append(v).append('\n'));
        b.append(String.format(Locale.ROOT, "%nBudget %s (cost / FP at most %s), margin %.2f: a candidate passes when the"
                + " confidence sequence's lower end on Δ success (candidate − FP, same episodes) is above −%.2f.%n%n",
                budget, budget.toString().substring(budget.toString().indexOf('=') + 1), margin, margin));
        if (budget.kind() == AutoQuantBudget.Kind.MS) {
            b.append("Cost is the least CPU time of one CEM step (one thread) over FP's, from repetitions interleaved with"
                    + " FP's; ").append(AutoQuantBudget.TIME_RULE).append(".\n\n");
        }
        b.append("| ").append(String.join(" | ", HEADER)).append(" |\n|");
        HEADER.forEach(h -> b.append("---|"));
        b.append('\n');
        for (List<String> c : cells()) {
            b.append("| ").append(String.join(" | ", c)).append(" |\n");
        }
        return b.toString();
    }

    /** Δ success with its interval per verified candidate, by cost, and the margin as a dashed line. */
    public String svg() {
        List<Charts.IntervalRow> plotted = new ArrayList<>();
        for (Row r : rows) {
            if (r.verified()) {
                plotted.add(new Charts.IntervalRow(String.format(Locale.ROOT, "%s (%.3f×)", r.name(), r.costRatio()),
                        r.delta(), r.lower(), r.upper(), r.verdict()));
            }
        }
        Charts.Figure f = Charts.forest(title + ": Δ success against FP by " + budget.kind().id() + " / FP",
                "Δ success (candidate − FP), confidence sequence", plotted, -1, 1, -margin, Map.of());
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + f.svg() + "\n";
    }
}
