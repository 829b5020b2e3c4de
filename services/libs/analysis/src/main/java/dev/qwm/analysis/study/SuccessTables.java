package dev.qwm.analysis.study;

import dev.qwm.analysis.config.ConfigurationDescriptor;
import dev.qwm.analysis.config.ModuleQuantization;
import dev.qwm.analysis.config.Scope;
import dev.qwm.analysis.table.ResultTable;
import dev.qwm.analysis.stats.Estimate;
import dev.qwm.analysis.stats.PairedDifference;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The study's success tables, laid out as QuantWM's: weight-only results (method × bits × granularity),
 * weight–activation results (method × W/A bits × activation granularity), encoder-only vs predictor-only vs both at
 * each format, and success against the planning budget. Every rate carries its Wilson 95 % interval; every
 * quantized configuration its paired difference against full precision on the same episodes (Newcombe 95 %
 * interval, exact McNemar p).
 */
public final class SuccessTables {

    private static final String INTERVALS = "Success: Wilson 95 % interval. Δ vs FP: paired difference on the "
            + "episodes both ran (same seed, so the same start and goal), Newcombe's method-10 95 % interval; "
            + "p: exact McNemar test of the discordant episodes.";

    private final StudyConditions study;

    public SuccessTables(StudyConditions study) {
        this.study = study;
    }

    public ResultTable overview() {
        // the canonical description earns its column only where some label does not already say it
        boolean describe = study.results().stream().anyMatch(r -> !r.condition().isFullPrecision() && !r.condition()
                .descriptor().map(ConfigurationDescriptor::canonicalLabel).orElse("unknown").equals(r.condition().configuration()));
        ResultTable.Builder t = ResultTable.builder("overview", "All configurations")
                .caption("Every configuration of the study at every budget. " + INTERVALS)
                .text("env").text("budget").text("configuration").text("modules");
        if (describe) {
            t.text("quantization");
        }
        t.integer("n").rate("success").difference("Δ vs FP").pValue("p")
                .decimal("final distance", 2).decimal("ms / CEM step", 1).decimal("model MB", 2);
        for (ConditionResult r : study.results()) {
            Condition c = r.condition();
            List<Object> row = new ArrayList<>(List.of(c.environment(), c.budget().label(), c.configuration(),
                    c.descriptor().map(d -> d.scope().label()).orElse("?")));
            if (describe) {
                row.add(c.descriptor().map(ConfigurationDescriptor::canonicalLabel).orElse("unknown"));
            }
            row.addAll(java.util.Arrays.asList(c.size(), r.success(), diff(r), p(r), value(r.finalStateDistance()),
                    value(r.cemStepMs()), c.modelBytes() < 0 ? null : c.modelBytes() / 1e6));
            t.row(row.toArray());
        }
        return t.notes(study.notes()).build();
    }

    /** Configurations whose quantized modules keep float activations, with the FP baseline of each group. */
    public ResultTable weightOnly() {
        ResultTable.Builder t = ResultTable.builder("weight-only", "Weight-only quantization")
                .caption("Method × weight bits × weight granularity, activations in floating point, per environment "
                        + "and budget. " + INTERVALS)
                .text("env").text("budget").text("modules").text("method").integer("W bits").text("weights")
                .integer("n").rate("success").difference("Δ vs FP").pValue("p");
        for (ConditionResult r : study.results()) {
            Optional<ConfigurationDescriptor> d = r.condition().descriptor();
            if (d.isEmpty() || !(d.get().isFullPrecision() || d.get().isWeightOnly() && d.get().isUniform())) {
                continue;
            }
            ModuleQuantization q = d.get().quantization();
            Condition c = r.condition();
            t.row(c.environment(), c.budget().label(), d.get().scope().label(), q.isQuantized() ? q.method().id() : "–",
                    q.isQuantized() ? q.weightBits() : null, q.isQuantized() ? q.weightGranularity() : "–",
                    c.size(), r.success(), diff(r), p(r));
        }
        return onlyIfQuantized(t.build());
    }

    /** Configurations that quantize activations too, with the FP baseline of each group. */
    public ResultTable weightActivation() {
        ResultTable.Builder t = ResultTable.builder("weight-activation", "Weight–activation quantization")
                .caption("Method × W/A bits × activation granularity (per-tensor static, calibrated; per-token "
                        + "dynamic), per environment and budget. " + INTERVALS)
                .text("env").text("budget").text("modules").text("method").text("W/A").text("weights")
                .text("activations").integer("n").rate("success").difference("Δ vs FP").pValue("p");
        for (ConditionResult r : study.results()) {
            Optional<ConfigurationDescriptor> d = r.condition().descriptor();
            if (d.isEmpty() || !(d.get().isFullPrecision() || !d.get().isWeightOnly() && d.get().isUniform())) {
                continue;
            }
            ModuleQuantization q = d.get().quantization();
            Condition c = r.condition();
            t.row(c.environment(), c.budget().label(), d.get().scope().label(), q.isQuantized() ? q.method().id() : "–",
                    q.isQuantized() ? "W" + q.weightBits() + "A" + q.activationBits() : "FP",
                    q.isQuantized() ? q.weightGranularity() : "–",
                    q.isQuantized() ? "per-" + q.activationGranularityLabel() : "–",
                    c.size(), r.success(), diff(r), p(r));
        }
        return onlyIfQuantized(t.build());
    }

    /**
     * Per format (method, bits, granularities), the same quantization applied to the encoder only, the predictor
     * only, and both; with the paired difference encoder-only − predictor-only (which module is more sensitive).
     */
    public ResultTable modules() {
        ResultTable.Builder t = ResultTable.builder("modules", "Encoder only vs predictor only vs both")
                .caption("The same quantization applied to one module or both. enc − pred: paired difference of "
                        + "success, encoder-only minus predictor-only, on the same episodes (Newcombe 95 %); "
                        + "negative means the encoder is the more sensitive module.")
                .text("env").text("budget").text("quantization").rate("FP").rate("encoder only")
                .rate("predictor only").rate("both").difference("enc − pred").pValue("p").integer("n");
        Map<String, Map<Scope, ConditionResult>> byFormat = new LinkedHashMap<>();
        for (ConditionResult r : study.results()) {
            Optional<ConfigurationDescriptor> d = r.condition().descriptor();
            if (d.isEmpty() || d.get().isFullPrecision() || !d.get().isUniform()) {
                continue;
            }
            String key = r.condition().groupKey() + "|" + d.get().quantization().formatKey();
            byFormat.computeIfAbsent(key, k -> new EnumMap<>(Scope.class)).putIfAbsent(d.get().scope(), r);
        }
        for (Map<Scope, ConditionResult> scopes : byFormat.values()) {
            if (scopes.size() < 2) {
                continue;
            }
            ConditionResult any = scopes.values().iterator().next();
            Condition c = any.condition();
            Optional<ConditionResult> fp = study.fullPrecision(c.groupKey());
            ConditionResult enc = scopes.get(Scope.ENCODER);
            ConditionResult pred = scopes.get(Scope.PREDICTOR);
            Optional<PairedDifference> encMinusPred = enc == null || pred == null ? Optional.empty()
                    : StudyConditions.paired(enc.condition(), pred.condition());
            int n = scopes.values().stream().mapToInt(r -> r.condition().size()).min().orElse(0);
            t.row(c.environment(), c.budget().label(), c.descriptor().orElseThrow().quantization().formatKey(),
                    fp.map(ConditionResult::success).orElse(null), rate(enc), rate(pred), rate(scopes.get(Scope.BOTH)),
                    encMinusPred.map(PairedDifference::difference).orElse(null),
                    encMinusPred.map(PairedDifference::mcnemarP).orElse(null), n);
        }
        return t.build();
    }

    /** Configurations run at more than one budget: success against CEM steps and MPC iterations. */
    public ResultTable budget() {
        ResultTable.Builder t = ResultTable.builder("budget", "Planning budget against success")
                .caption("Configurations planned at several budgets (CEM samples × optimisation steps, MPC "
                        + "iterations). Δ vs FP is against full precision at the same budget. " + INTERVALS)
                .text("env").text("configuration").integer("samples").integer("opt steps").integer("max iter")
                .integer("n").rate("success").difference("Δ vs FP").pValue("p").decimal("ms / CEM step", 1)
                .decimal("s / episode", 1);
        Map<String, List<ConditionResult>> byConfiguration = new LinkedHashMap<>();
        for (ConditionResult r : study.results()) {
            byConfiguration.computeIfAbsent(r.condition().environment() + "|" + r.condition().configuration(),
                    k -> new ArrayList<>()).add(r);
        }
        for (List<ConditionResult> runs : byConfiguration.values()) {
            if (runs.stream().map(r -> r.condition().budget().key()).distinct().count() < 2) {
                continue;
            }
            for (ConditionResult r : runs) {
                Condition c = r.condition();
                double secondsPerEpisode = c.episodes().stream().mapToLong(e -> e.wallTimeMs()).average().orElse(0) / 1000.0;
                t.row(c.environment(), c.configuration(), c.budget().samples(), c.budget().optSteps(),
                        c.budget().maxIter(), c.size(), r.success(), diff(r), p(r), value(r.cemStepMs()),
                        secondsPerEpisode);
            }
        }
        return t.build();
    }

    private static ResultTable onlyIfQuantized(ResultTable t) {
        // a table of FP rows alone says nothing: leave it empty so renderers skip it
        boolean any = t.rows().stream().anyMatch(r -> !"–".equals(r.get(3)));
        return any ? t : new ResultTable(t.id(), t.title(), t.caption(), t.columns(), List.of(), t.notes());
    }

    private static Estimate rate(ConditionResult r) {
        return r == null ? null : r.success();
    }

    private static Estimate diff(ConditionResult r) {
        return r.versusFullPrecision().map(PairedDifference::difference).orElse(null);
    }

    private static Double p(ConditionResult r) {
        return r.versusFullPrecision().map(PairedDifference::mcnemarP).orElse(null);
    }

    private static Double value(Estimate e) {
        return e.isDefined() ? e.value() : null;
    }
}
