package dev.qwm.cli.study;

import com.fasterxml.jackson.databind.JsonNode;
import dev.qwm.analysis.data.CollectorJson;
import dev.qwm.analysis.data.EpisodeRecord;
import dev.qwm.analysis.stats.PairedDifference;
import dev.qwm.analysis.study.StudyConditions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The paper's claims against a study's stored episodes (its episode log): each claim is a paired comparison of two
 * cells of the QuantWM specs (the same episodes, matched by split and seed), its difference in success rate with the
 * Newcombe 95 % interval and the exact McNemar p-value, and a verdict by fixed rules, so that the text follows from
 * the data alone:
 * <ul>
 *   <li>a claim of no loss (8-bit ≈ FP) agrees when the interval excludes a loss of {@link #MARGIN} or more, and
 *       disagrees when the whole interval is a loss;</li>
 *   <li>a claim of a loss (3-bit collapses) agrees when the whole interval is a loss, and disagrees when it excludes a
 *       loss of {@link #MARGIN} or more;</li>
 *   <li>a claim of a gain (groups stabilise 4-bit) agrees when the whole interval is a gain, disagrees when the whole
 *       interval is a loss;</li>
 *   <li>a claim of no gain (more MPC iterations do not recover a low-bit model) agrees when the interval excludes a
 *       gain of {@link #MARGIN} or more, and disagrees when the whole interval is a gain;</li>
 *   <li>anything else: not resolved at this n.</li>
 * </ul>
 * A verdict that asserts a difference (the whole interval a loss or a gain) also needs the exact McNemar test to
 * reject "no difference" at {@link #ALPHA}: with a handful of pairs the Newcombe interval can exclude zero while three
 * discordant pairs give p = 0.25, and such a verdict would be the noise of the first episodes planned.
 * A comparison whose cells are in the study's grid but not (yet) in the log is listed as pending; one whose cells the
 * grid does not have at all (PushT's grid has no W6A6 cells) as not in the grid; without the grid, as not in the log.
 */
public final class StudyFindings {

    /** The loss in success rate below which "about the same" holds. */
    public static final double MARGIN = 0.10;

    /** The level at which the McNemar test must reject "no difference" before a verdict asserts one. */
    public static final double ALPHA = 0.05;

    enum Expect { NO_LOSS, LOSS, GAIN, NO_GAIN }

    record Comparison(String claim, String first, String second, Expect expect) {
    }

    /**
     * The comparisons of the QuantWM specs, among the cells present: {@code fp} is the task's full-precision cell at
     * the grid budget; a recipe planned at a larger max_iter too is compared with itself at the grid budget.
     */
    static List<Comparison> comparisons(String fp, java.util.Set<String> labels) {
        List<Comparison> c = comparisons(fp);
        String grid = budgetOf(fp);
        for (String label : labels) {
            int at = label.indexOf('@');
            if (at > 0 && !label.substring(at).equals(grid) && !label.startsWith("fp32")
                    && labels.contains(label.substring(0, at) + grid)) {
                c.add(new Comparison("more MPC iterations do not recover a low-bit model", label,
                        label.substring(0, at) + grid, Expect.NO_GAIN));
            }
        }
        return c;
    }

    static List<Comparison> comparisons(String fp) {
        List<Comparison> c = new ArrayList<>();
        c.add(new Comparison("8-bit ≈ full precision", "both-w8a16", fp, Expect.NO_LOSS));
        c.add(new Comparison("8-bit ≈ full precision", "both-w8a8", fp, Expect.NO_LOSS));
        c.add(new Comparison("4-bit loses success", "both-w4a16", fp, Expect.LOSS));
        c.add(new Comparison("groups stabilise 4-bit", "both-w4a16-g32", "both-w4a16", Expect.GAIN));
        c.add(new Comparison("3-bit collapses planning", "both-w3a16", fp, Expect.LOSS));
        c.add(new Comparison("groups stabilise 3-bit", "both-w3a16-g32", "both-w3a16", Expect.GAIN));
        for (String bits : List.of("w8a16", "w4a16", "w3a16", "w4a8")) {
            c.add(new Comparison("the encoder is more sensitive than the predictor", "encoder-" + bits,
                    "predictor-" + bits, Expect.LOSS));
        }
        for (String p : List.of("both-w8a8", "both-w4a8", "both-w6a6", "both-w8a8-smoothquant", "both-w4a8-smoothquant",
                "both-w6a6-smoothquant")) {
            String token = p.replace("-smoothquant", "") + "-token" + (p.endsWith("-smoothquant") ? "-smoothquant" : "");
            c.add(new Comparison("per-token activations help (inconsistently)", token, p, Expect.GAIN));
        }
        return c;
    }

    /**
     * The cell a comparison names: {@code name@<grid budget>} when the recipe planned at several budgets, else
     * {@code name}.
     */
    static String resolve(String name, String grid, java.util.Set<String> labels) {
        return name.contains("@") || !labels.contains(name + grid) ? name : name + grid;
    }

    /** {@code fp32@iter10-opt10} -> {@code @iter10-opt10}; a label without a budget -> "". */
    private static String budgetOf(String fp) {
        int at = fp.indexOf('@');
        return at < 0 ? "" : fp.substring(at);
    }

    /** The log's episodes by cell label. */
    public static Map<String, List<EpisodeRecord>> cells(StudyLog log) {
        Map<String, List<EpisodeRecord>> out = new LinkedHashMap<>();
        for (JsonNode r : log.records()) {
            EpisodeRecord e = CollectorJson.episode(r.path("completed"));
            out.computeIfAbsent(e.configuration(), k -> new ArrayList<>()).add(e);
        }
        return out;
    }

    /** {@code first} − {@code second} on the episodes both have (matched by split and seed). */
    static Optional<PairedDifference> paired(List<EpisodeRecord> first, List<EpisodeRecord> second) {
        return StudyConditions.paired(first, second);
    }

    static String verdict(Expect expect, PairedDifference d) {
        double lo = d.difference().interval().lower();
        double hi = d.difference().interval().upper();
        boolean tested = d.mcnemarP() < ALPHA;
        boolean loss = hi < 0 && tested;
        boolean gain = lo > 0 && tested;
        return switch (expect) {
            case NO_LOSS -> lo > -MARGIN ? "agrees" : loss ? "disagrees" : "not resolved at this n";
            case LOSS -> loss ? "agrees" : lo > -MARGIN ? "disagrees" : "not resolved at this n";
            case GAIN -> gain ? "agrees" : loss ? "disagrees" : "not resolved at this n";
            case NO_GAIN -> hi < MARGIN ? "agrees" : gain ? "disagrees" : "not resolved at this n";
        };
    }

    /**
     * What the planning of the logged episodes cost: their summed wall time (each episode on one planner worker, so
     * on a machine with as many cores as workers this bounds the planning CPU time from above), the span from the
     * first completion to the last (the study stopped and resumed in between counts too), and where they ran.
     */
    static String cost(Map<String, List<EpisodeRecord>> cells) {
        long episodes = 0;
        long wallMs = 0;
        java.util.Set<String> where = new java.util.TreeSet<>();
        for (List<EpisodeRecord> cell : cells.values()) {
            for (EpisodeRecord e : cell) {
                episodes++;
                wallMs += e.wallTimeMs();
                where.add(e.ranOn() == null ? "not recorded" : e.ranOn().describe());
            }
        }
        return String.format(Locale.ROOT, "Planning cost: %d episodes, %.1f hours of planner-worker time summed over"
                + " episodes (an upper bound of their CPU time where workers ≤ cores); ran on %s.%n", episodes,
                wallMs / 3.6e6, String.join("; ", where));
    }

    /**
     * The findings of one task as Markdown: one row per comparison, then full precision against itself under another
     * planner seed (the episodes that flip from planner noise alone).
     *
     * @param fp the full-precision cell at the grid budget, e.g. {@code fp32@iter10-opt10}
     */
    public static String markdown(String task, Map<String, List<EpisodeRecord>> cells, String fp) {
        return markdown(task, cells, fp, null);
    }

    /**
     * What a comparison without pairs is: {@code pending} when both cells are in the grid (planned later),
     * {@code not in the grid} when one is not in it (it will never be planned), {@code not in the log} when the grid
     * is not known.
     */
    static String missing(String first, String second, java.util.Set<String> grid) {
        if (grid == null) {
            return "not in the log";
        }
        return grid.contains(first) && grid.contains(second) ? "pending" : "not in the grid";
    }

    /**
     * @param grid the labels of the study's cells (its spec's grid), or null if not known: it tells a comparison
     *             still to be planned ("pending") from one the study does not have ("not in the grid")
     */
    public static String markdown(String task, Map<String, List<EpisodeRecord>> cells, String fp,
                                  java.util.Set<String> grid) {
        StringBuilder b = new StringBuilder();
        b.append("### ").append(task).append("\n\n");
        b.append("| claim | comparison | pairs | Δ success [95 % CI] | McNemar p | verdict |\n|---|---|---|---|---|---|\n");
        java.util.Set<String> labels = new java.util.TreeSet<>(cells.keySet());
        // a cell not planned yet is named as the grid names it
        java.util.Set<String> named = new java.util.TreeSet<>(labels);
        if (grid != null) {
            named.addAll(grid);
        }
        for (Comparison comparison : comparisons(fp, labels)) {
            Comparison c = new Comparison(comparison.claim(), resolve(comparison.first(), budgetOf(fp), named),
                    resolve(comparison.second(), budgetOf(fp), named), comparison.expect());
            List<EpisodeRecord> first = cells.get(c.first());
            List<EpisodeRecord> second = cells.get(c.second());
            Optional<PairedDifference> d = first == null || second == null ? Optional.empty() : paired(first, second);
            if (d.isEmpty()) {
                b.append(String.format(Locale.ROOT, "| %s | %s − %s | 0 | %s | | |%n", c.claim(), c.first(), c.second(),
                        missing(c.first(), c.second(), grid)));
                continue;
            }
            PairedDifference p = d.get();
            b.append(String.format(Locale.ROOT, "| %s | %s − %s | %d | %+.2f [%+.2f, %+.2f] | %.3g | %s |%n", c.claim(),
                    c.first(), c.second(), p.pairs(), p.difference().value(), p.difference().interval().lower(),
                    p.difference().interval().upper(), p.mcnemarP(), verdict(c.expect(), p)));
        }
        List<EpisodeRecord> fpCell = cells.get(fp);
        List<EpisodeRecord> fpSeed = cells.get("fp32-seed1");
        Optional<PairedDifference> noise = fpCell == null || fpSeed == null ? Optional.empty() : paired(fpSeed, fpCell);
        b.append("\nFull precision against itself under another planner seed (fp32-seed1 − ").append(fp).append("): ");
        b.append(noise.map(p -> String.format(Locale.ROOT, "%d of %d paired episodes flip (%d only under seed 1, %d"
                + " only under seed 0).", p.discordant(), p.pairs(), p.onlyFirst(), p.onlySecond()))
                .orElse(missing("fp32-seed1", fp, grid) + "."));
        b.append("\n\n").append(cost(cells));
        return b.toString();
    }
}
