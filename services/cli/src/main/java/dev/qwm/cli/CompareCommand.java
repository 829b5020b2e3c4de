package dev.qwm.cli;

import dev.qwm.analysis.report.TextTable;
import dev.qwm.analysis.stats.PairedDifference;
import dev.qwm.analysis.stats.Proportions;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.eval.EpisodeLog;
import dev.qwm.planning.mpc.EpisodeResult;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./qwm compare}: the paired success of two evaluation logs on the episodes both planned, e.g. a quantized
 * model against full precision, or a new model against the one before. Pairing is by episode index, and the two logs
 * must have planned the same episode (environment, split and seed); their planners may differ, and are shown. With
 * {@code --max-iter K}
 * a log made with a larger max-iter is read as if made at K (an episode's first K MPC iterations do not depend on
 * max-iter, and it ends at its first success, so it succeeds at K exactly when it succeeded within K iterations).
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Paired success of two evaluation logs (./qwm eval --results F writes F.episodes.jsonl; .gz read"
                + " too) on the episodes both planned: the 2x2 table, the difference with its 95% Newcombe interval"
                + " and the exact McNemar p-value."},
        footer = {"Examples:",
                "  ./qwm compare q.json.episodes.jsonl docs/evals/pusht/eval-pusht-max-iter5.episodes.jsonl.gz --max-iter 2",
                "  ./qwm compare docs/evals/pusht/eval-pusht-max-iter5.episodes.jsonl.gz \\",
                "      docs/evals/pusht/model-bafab2a/eval-pusht-max-iter5.episodes.jsonl.gz"})
public final class CompareCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FIRST", description = "An episode log: the first configuration.")
    Path first;

    @Parameters(index = "1", paramLabel = "SECOND", description = "An episode log of the same episodes: the second.")
    Path second;

    @Option(names = "--max-iter", paramLabel = "K", description = "Count a success only within the first K MPC"
            + " iterations: compares a log made at a larger max-iter as if it had been made at K (both logs' max-iter"
            + " must be at least K).")
    Integer maxIter;

    @Override
    public Integer call() throws java.io.IOException {
        Map<Integer, EpisodeResult> a = EpisodeLog.readFinished(first);
        Map<Integer, EpisodeResult> b = EpisodeLog.readFinished(second);
        if (maxIter != null && maxIter < 1) {
            throw new IllegalArgumentException("--max-iter must be at least 1, not " + maxIter);
        }
        Map<Integer, Boolean> firstSucceeded = new TreeMap<>();
        Map<Integer, Boolean> secondSucceeded = new TreeMap<>();
        for (var e : a.entrySet()) {
            EpisodeResult y = b.get(e.getKey());
            if (y == null) {
                continue;
            }
            EpisodeResult x = e.getValue();
            if (x.episodeSeed() != y.episodeSeed() || !x.environment().equals(y.environment())
                    || x.split() != y.split()) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "episode %d is not the same episode in"
                                + " both logs: %s seed %d (%s) in %s, %s seed %d (%s) in %s", e.getKey(), x.environment(),
                        x.episodeSeed(), x.split(), first, y.environment(), y.episodeSeed(), y.split(), second));
            }
            checkBudgets(x, y);
            firstSucceeded.put(e.getKey(), succeeded(x));
            secondSucceeded.put(e.getKey(), succeeded(y));
        }
        if (firstSucceeded.isEmpty()) {
            throw new IllegalArgumentException("the logs share no episode: " + first + " holds " + a.size() + ", "
                    + second + " " + b.size() + ", none with the same index");
        }
        PairedDifference d = Proportions.pairedDifference(firstSucceeded, secondSucceeded);
        int pairs = d.pairs();
        int both = d.bothSucceed();
        int onlyFirst = d.onlyFirst();
        int onlySecond = d.onlySecond();
        int neither = d.neither();
        EpisodeResult any = a.get(a.keySet().stream().filter(b::containsKey).findFirst().orElseThrow());
        TextTable t = new TextTable("", "");
        t.row("first", first + "  (" + any.modelReference() + ")");
        t.row("second", second + "  (" + b.get(any.episodeIndex()).modelReference() + ")");
        EpisodeResult other = b.get(any.episodeIndex());
        String planner = budget(any).label() + ", planner seed " + any.plannerSeed();
        String otherPlanner = budget(other).label() + ", planner seed " + other.plannerSeed();
        t.row("episodes", String.format(Locale.ROOT, "%d in both (%d and %d in the logs), %s", pairs, a.size(),
                b.size(), any.environment()));
        if (planner.equals(otherPlanner)) {
            t.row("planner", planner + (maxIter == null ? "" : " (read at --max-iter " + maxIter + ")"));
        } else {
            // different planners on the same episodes are a comparison too (alpha, max-iter, seed): say which
            t.row("planner, first", planner);
            t.row("planner, second", otherPlanner);
        }
        t.row("success", String.format(Locale.ROOT, "first %d/%d = %.2f %s, second %d/%d = %.2f %s", both + onlyFirst,
                pairs, (double) (both + onlyFirst) / pairs, Proportions.wilson(both + onlyFirst, pairs, 0.95),
                both + onlySecond, pairs, (double) (both + onlySecond) / pairs,
                Proportions.wilson(both + onlySecond, pairs, 0.95)));
        t.row("pairs", String.format(Locale.ROOT, "both %d, first only %d, second only %d, neither %d", both, onlyFirst,
                onlySecond, neither));
        t.row("first - second", d.difference().formatSigned(3) + " (95% Newcombe)");
        t.row("exact McNemar p", String.format(Locale.ROOT, "%.3g (%d discordant pairs)", d.mcnemarP(), d.discordant()));
        t.print(System.out);
        return 0;
    }

    private boolean succeeded(EpisodeResult r) {
        return r.success() && (maxIter == null || r.successIteration() < maxIter);
    }

    /** A log's budget as compared: at --max-iter K when given. */
    private PlannerBudget budget(EpisodeResult r) {
        return maxIter == null ? r.budget() : r.budget().withMaxIter(maxIter);
    }

    private void checkBudgets(EpisodeResult x, EpisodeResult y) {
        for (EpisodeResult r : new EpisodeResult[] {x, y}) {
            if (maxIter != null && r.budget().maxIter() < maxIter) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "episode %d was planned with max-iter %d:"
                        + " it cannot be read at --max-iter %d", r.episodeIndex(), r.budget().maxIter(), maxIter));
            }
        }
    }
}
