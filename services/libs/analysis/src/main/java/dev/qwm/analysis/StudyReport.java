package dev.qwm.analysis;

import dev.qwm.analysis.alignment.AlignmentAnalysis;
import dev.qwm.analysis.alignment.AlignmentResult;
import dev.qwm.analysis.cost.CostAnalysis;
import dev.qwm.analysis.data.StudyInfo;
import dev.qwm.analysis.drift.DriftAnalysis;
import dev.qwm.analysis.table.ResultTable;
import dev.qwm.analysis.sensitivity.LayerSensitivity;
import dev.qwm.analysis.sensitivity.SensitivityAnalysis;
import dev.qwm.analysis.stats.PairedDifference;
import dev.qwm.analysis.study.ConditionResult;
import dev.qwm.analysis.study.RanOn;
import dev.qwm.analysis.study.StudyConditions;
import dev.qwm.analysis.study.SuccessTables;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Everything the report shows about one study, computed once; rendered by the terminal, CSV and HTML writers. */
public record StudyReport(StudyInfo study, String source, Instant generatedAt, int episodes, int traced,
                          StudyConditions conditions, AlignmentAnalysis alignment, DriftAnalysis drift,
                          SensitivityAnalysis sensitivity, CostAnalysis cost) {

    /** The title of the report's section on the episodes that could not be planned. */
    public static final String FAILED_SECTION = "Failed episodes";

    public SuccessTables successTables() {
        return new SuccessTables(conditions);
    }

    /** Every table with rows, in report order. */
    public List<ResultTable> tables() {
        SuccessTables s = successTables();
        List<ResultTable> all = new ArrayList<>(List.of(s.overview(), s.weightOnly(), s.weightActivation(), s.modules(),
                s.budget(), alignment.table(), cost.table()));
        if (!drift.isEmpty()) {
            all.add(drift.curvesTable());
            all.add(drift.correlationTable());
        }
        if (!sensitivity.isEmpty()) {
            all.add(sensitivity.rankingTable());
            sensitivity.suggestionTable().ifPresent(all::add);
        }
        return all.stream().filter(t -> !t.isEmpty()).toList();
    }

    /** Per configuration (and budget), where its episodes ran: one or more "ran on" lines. */
    public java.util.Map<String, List<String>> ranOn() {
        java.util.Map<String, List<String>> out = new java.util.LinkedHashMap<>();
        for (ConditionResult r : conditions.results()) {
            out.put(r.condition().displayName(conditions.severalBudgets()), RanOn.lines(r.condition().episodes()));
        }
        return RanOn.collapse(out);
    }

    /** Plain-language findings computed from the numbers (each one cites its interval). */
    public List<String> findings() {
        List<String> out = new ArrayList<>();
        int failed = study.failures().size();
        if (failed > 0) {
            out.add(failed + " of " + study.episodeCount() + " episodes could not be planned and are in no table or"
                    + " interval below (" + FAILED_SECTION + ": the reasons).");
        }
        RanOn.mixedCpuClasses(conditions.results().stream().flatMap(r -> r.condition().episodes().stream()).toList())
                .ifPresent(out::add);
        for (String group : conditions.groups()) {
            List<ConditionResult> rs = conditions.results().stream().filter(r -> r.condition().groupKey().equals(group)).toList();
            String label = rs.get(0).condition().groupLabel();
            Optional<ConditionResult> fp = conditions.fullPrecision(group);
            fp.ifPresent(f -> out.add(label + ": full precision succeeds in " + f.condition().successes() + " of "
                    + f.condition().size() + " episodes, " + f.success().format(2) + "."));
            List<String> worse = new ArrayList<>();
            List<String> same = new ArrayList<>();
            List<String> better = new ArrayList<>();
            for (ConditionResult r : rs) {
                if (r.versusFullPrecision().isEmpty()) {
                    continue;
                }
                PairedDifference d = r.versusFullPrecision().get();
                String item = r.condition().configuration() + " " + d.difference().formatSigned(2);
                if (d.difference().interval().excludesZeroBelow()) {
                    worse.add(item);
                } else if (d.difference().interval().excludesZeroAbove()) {
                    better.add(item);
                } else {
                    same.add(r.condition().configuration());
                }
            }
            if (!worse.isEmpty()) {
                out.add(label + ": below FP beyond noise (paired 95 % interval under 0): " + String.join("; ", worse) + ".");
            }
            if (!better.isEmpty()) {
                out.add(label + ": above FP beyond noise: " + String.join("; ", better) + ".");
            }
            if (!same.isEmpty()) {
                out.add(label + ": not distinguishable from FP on these episodes (interval contains 0): "
                        + String.join(", ", same) + ".");
            }
        }
        ResultTable modules = successTables().modules();
        int diff = columnIndex(modules, "enc − pred");
        for (List<Object> row : modules.rows()) {
            if (row.get(diff) instanceof dev.qwm.analysis.stats.Estimate e && e.interval().excludesZeroBelow()) {
                out.add(row.get(0) + " · " + row.get(1) + ": at " + row.get(2) + " the encoder alone costs more success "
                        + "than the predictor alone, " + e.formatSigned(2) + " (encoder only − predictor only).");
            } else if (row.get(diff) instanceof dev.qwm.analysis.stats.Estimate e && e.interval().excludesZeroAbove()) {
                out.add(row.get(0) + " · " + row.get(1) + ": at " + row.get(2) + " the predictor alone costs more success "
                        + "than the encoder alone, " + e.formatSigned(2) + " (encoder only − predictor only).");
            }
        }
        for (AlignmentResult a : alignment.flagged()) {
            String where = a.condition().displayName(true);
            a.cemFlag().ifPresent(f -> out.add(where + ": more CEM steps do not help, " + f.describe() + "."));
            a.mpcFlag().ifPresent(f -> out.add(where + ": more MPC iterations do not help, " + f.describe() + "."));
        }
        for (DriftAnalysis.DriftCorrelation c : drift.correlations()) {
            if (c.correlation().isDefined()) {
                out.add(String.format(Locale.ROOT, "%s: drift against %s tracks success with ρ = %s over %d configurations.",
                        c.groupLabel(), c.reference() == dev.qwm.analysis.drift.RolloutDrift.Reference.REAL
                                ? "the real encodings" : "FP", c.correlation().rho().formatSigned(2), c.points().size()));
            }
        }
        sensitivity.ranked().forEach((module, layers) -> {
            if (!layers.isEmpty()) {
                LayerSensitivity worst = layers.get(0);
                out.add(String.format(Locale.ROOT, "Most sensitive %s layer at %s: %s (%.1f dB output SQNR).", module,
                        worst.weightFormat(), worst.layer(), worst.outputSqnrDb()));
            }
        });
        cost.groups().forEach((group, points) -> {
            List<String> front = points.stream().filter(CostAnalysis.CostPoint::bytesFront)
                    .map(p -> p.condition().configuration()).toList();
            if (!front.isEmpty() && points.size() > 1) {
                out.add(group + ": Pareto front of bytes against success: " + String.join(", ", front) + ".");
            }
        });
        return out;
    }

    private static int columnIndex(ResultTable t, String name) {
        for (int i = 0; i < t.columns().size(); i++) {
            if (t.columns().get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalStateException("table " + t.id() + " has no column " + name);
    }

}
