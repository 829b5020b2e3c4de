package dev.qwm.analysis.study;

import dev.qwm.analysis.config.ConfigurationDescriptor;
import dev.qwm.analysis.config.ConfigurationResolver;
import dev.qwm.analysis.config.ModuleQuantization;
import dev.qwm.analysis.data.ArtifactRecord;
import dev.qwm.analysis.data.EpisodeRecord;
import dev.qwm.analysis.data.StudyData;
import dev.qwm.analysis.stats.Bootstrap;
import dev.qwm.analysis.stats.PairedDifference;
import dev.qwm.analysis.stats.Proportions;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * Splits a study's episodes into {@link Condition}s (environment × configuration label × budget), describes each, and
 * computes every condition's success with its interval and its paired difference against full precision.
 */
public final class StudyConditions {

    private final List<ConditionResult> results;
    private final List<String> notes = new ArrayList<>();

    /** The full-precision configuration every other of its group is paired with, by group key. */
    private final Map<String, String> references;

    private StudyConditions(List<ConditionResult> results, List<String> notes, Map<String, String> references) {
        this.results = List.copyOf(results);
        this.notes.addAll(notes);
        this.references = Map.copyOf(references);
    }

    public static StudyConditions of(StudyData data) {
        List<EpisodeRecord> episodes = data.episodes();
        if (episodes.isEmpty()) {
            throw new IllegalArgumentException("study " + data.study().id() + " has no completed episode yet");
        }
        List<String> notes = new ArrayList<>();
        ConfigurationResolver resolver = new ConfigurationResolver(data.artifacts());
        Map<String, ArtifactRecord> artifacts = new HashMap<>();
        data.artifacts().forEach(a -> artifacts.put(a.artifact().sha256(), a));

        Map<String, List<EpisodeRecord>> groups = new LinkedHashMap<>();
        for (EpisodeRecord e : episodes) {
            String key = e.environment() + "|" + e.configuration() + "|" + e.budget().key();
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(e);
        }
        List<Condition> conditions = new ArrayList<>();
        for (List<EpisodeRecord> group : groups.values()) {
            EpisodeRecord first = group.get(0);
            long shas = group.stream().map(e -> e.encoder().sha256() + "/" + e.predictor().sha256()).distinct().count();
            if (shas > 1) {
                notes.add("configuration '" + first.configuration() + "' names " + shas + " different artifact pairs; "
                        + "described from its first episode");
            }
            Optional<ConfigurationDescriptor> descriptor = resolver.describe(first);
            long bytes = -1;
            ArtifactRecord enc = artifacts.get(first.encoder().sha256());
            ArtifactRecord pred = artifacts.get(first.predictor().sha256());
            if (enc != null && pred != null) {
                bytes = enc.sizeBytes() + pred.sizeBytes();
            }
            conditions.add(new Condition(first.environment(), first.configuration(), first.budget(), descriptor,
                    first.encoder(), first.predictor(), bytes, group));
        }
        notes.addAll(resolver.notes());
        conditions.sort(ORDER);

        // the reference is full precision under the study's planner seed: a second FP under another planner seed is
        // the study's noise control (how many episodes flip from planner noise alone), not what others are paired with
        java.util.Set<String> noiseControls = noiseControls(data.study().specJson());
        Map<String, Condition> fullPrecision = new HashMap<>();
        for (Condition c : conditions) {
            if (c.isFullPrecision()) {
                Condition previous = fullPrecision.get(c.groupKey());
                boolean control = noiseControls.contains(c.configuration());
                if (previous == null || noiseControls.contains(previous.configuration()) && !control
                        || control == noiseControls.contains(previous.configuration()) && c.size() > previous.size()) {
                    fullPrecision.put(c.groupKey(), c);
                }
            }
        }
        for (Condition c : conditions) {
            Condition reference = fullPrecision.get(c.groupKey());
            if (c.isFullPrecision() && reference != null && reference != c) {
                notes.add(c.groupLabel() + ": several full-precision configurations; differences are against '"
                        + reference.configuration() + "' (" + (noiseControls.isEmpty() ? "most episodes"
                        : "the study's planner seed, most episodes") + "), not '" + c.configuration() + "'");
            }
        }
        Bootstrap bootstrap = Bootstrap.standard();
        List<ConditionResult> results = new ArrayList<>();
        for (Condition c : conditions) {
            Condition fp = fullPrecision.get(c.groupKey());
            Optional<PairedDifference> diff = fp == null || fp == c ? Optional.empty() : paired(c, fp);
            if (fp != null && fp != c && diff.isEmpty()) {
                notes.add(c.displayName(true) + " shares no episode (seed) with full precision; no paired difference");
            }
            results.add(new ConditionResult(c, Proportions.rate(c.successes(), c.size()), diff,
                    bootstrap.mean(values(c, EpisodeRecord::finalStateDistance)),
                    bootstrap.mean(values(c, EpisodeRecord::finalBestLoss)),
                    bootstrap.mean(values(c, EpisodeRecord::meanCemStepMs))));
        }
        if (fullPrecision.isEmpty()) {
            notes.add("no full-precision configuration in this study: no differences against FP");
        }
        Map<String, String> references = new HashMap<>();
        fullPrecision.forEach((group, c) -> references.put(group, c.configuration()));
        return new StudyConditions(results, notes, references);
    }

    /**
     * {@code a} − {@code b} on the episodes both ran, matched by (split, seed): the same start and goal. Duplicate
     * seeds within a condition keep their first episode.
     */
    public static Optional<PairedDifference> paired(Condition a, Condition b) {
        return paired(a.episodes(), b.episodes());
    }

    /** {@code a} − {@code b} on the episodes both lists hold, matched as {@link #paired(Condition, Condition)}. */
    public static Optional<PairedDifference> paired(List<EpisodeRecord> a, List<EpisodeRecord> b) {
        Map<String, Boolean> first = new HashMap<>();
        a.forEach(e -> first.putIfAbsent(e.seeding().pairingKey(), e.success()));
        Map<String, Boolean> second = new HashMap<>();
        b.forEach(e -> second.putIfAbsent(e.seeding().pairingKey(), e.success()));
        return first.keySet().stream().noneMatch(second::containsKey) ? Optional.empty()
                : Optional.of(Proportions.pairedDifference(first, second));
    }

    private static double[] values(Condition c, ToDoubleFunction<EpisodeRecord> f) {
        return c.episodes().stream().mapToDouble(f).filter(Double::isFinite).toArray();
    }

    public List<ConditionResult> results() {
        return results;
    }

    public List<String> notes() {
        return notes.stream().distinct().toList();
    }

    /** The environments and budgets, in table order. */
    public List<String> groups() {
        return results.stream().map(r -> r.condition().groupKey()).distinct().toList();
    }

    public boolean severalBudgets() {
        return results.stream().map(r -> r.condition().environment() + "|" + r.condition().budget().key())
                .distinct().count() > results.stream().map(r -> r.condition().environment()).distinct().count();
    }

    /** The group's full-precision reference: the configuration the others' paired differences are against. */
    public Optional<ConditionResult> fullPrecision(String groupKey) {
        String reference = references.get(groupKey);
        return results.stream().filter(r -> r.condition().groupKey().equals(groupKey)
                && r.condition().configuration().equals(reference)).findFirst();
    }

    /**
     * Table order: environment, budget (optimisation steps, then MPC iterations, then samples), full precision
     * first, then by which modules, method, weight bits (high to low), per-channel before groups, activation bits
     * (high to low), per-tensor before per-token, and finally the label.
     */
    /**
     * The configurations a study spec (as recorded with the study) plans under another planner seed than the
     * study's; none if the spec says nothing of planner seeds or cannot be read.
     */
    static java.util.Set<String> noiseControls(String specJson) {
        java.util.Set<String> out = new java.util.HashSet<>();
        if (specJson == null || specJson.isBlank()) {
            return out;
        }
        try {
            com.fasterxml.jackson.databind.JsonNode spec = new com.fasterxml.jackson.databind.ObjectMapper().readTree(specJson);
            com.fasterxml.jackson.databind.JsonNode studySeed = spec.path("study").path("planner_seed");
            if (!studySeed.isNumber()) {
                return out;
            }
            for (com.fasterxml.jackson.databind.JsonNode g : spec.path("grid")) {
                if (g.path("planner_seed").isNumber() && g.path("planner_seed").asLong() != studySeed.asLong()) {
                    out.add(g.path("label").asText());
                }
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // a spec this version cannot read: the rule of most episodes alone
        }
        return out;
    }

    public static final Comparator<Condition> ORDER = Comparator
            .comparing(Condition::environment)
            .thenComparingInt((Condition c) -> c.budget().optSteps())
            .thenComparingInt(c -> c.budget().maxIter())
            .thenComparingInt(c -> c.budget().samples())
            .thenComparing(c -> c.budget().key())
            .thenComparingInt(c -> c.descriptor().map(d -> d.scope().ordinal()).orElse(9))
            .thenComparing(c -> c.descriptor().map(d -> d.quantization().isQuantized() ? d.quantization().method().id() : "").orElse("~"))
            .thenComparingInt(c -> -c.descriptor().map(d -> d.quantization().weightBits()).orElse(0))
            .thenComparingInt(c -> c.descriptor().map(d -> groupOrder(d.quantization())).orElse(0))
            .thenComparingInt(c -> -c.descriptor().map(d -> d.quantization().activationBits()).orElse(0))
            .thenComparing(c -> c.descriptor().map(d -> d.quantization().activationGranularityLabel()).orElse(""))
            .thenComparing(Condition::configuration);

    private static int groupOrder(ModuleQuantization q) {
        return q.groupSize() == 0 ? 0 : 100_000 - q.groupSize(); // per channel, then larger groups first
    }
}
