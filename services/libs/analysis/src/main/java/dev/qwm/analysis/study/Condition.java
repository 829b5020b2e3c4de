package dev.qwm.analysis.study;

import dev.qwm.analysis.config.ConfigurationDescriptor;
import dev.qwm.analysis.data.ArtifactRef;
import dev.qwm.analysis.data.EpisodeRecord;
import dev.qwm.planning.PlannerBudget;

import java.util.List;
import java.util.Optional;

/**
 * The episodes of one configuration in one environment at one planner budget: the unit every table row describes.
 *
 * @param descriptor what the configuration quantizes; empty when neither recipes nor label tell
 * @param modelBytes encoder + predictor artifact bytes, or −1 when the collector does not know both artifacts
 */
public record Condition(String environment, String configuration, PlannerBudget budget,
                        Optional<ConfigurationDescriptor> descriptor, ArtifactRef encoder, ArtifactRef predictor,
                        long modelBytes, List<EpisodeRecord> episodes) {

    public Condition {
        episodes = List.copyOf(episodes);
        if (episodes.isEmpty()) {
            throw new IllegalArgumentException("a condition needs at least one episode: " + configuration);
        }
    }

    public int size() {
        return episodes.size();
    }

    public int successes() {
        return (int) episodes.stream().filter(EpisodeRecord::success).count();
    }

    public boolean isFullPrecision() {
        return descriptor.map(ConfigurationDescriptor::isFullPrecision).orElse(false);
    }

    /** The environment and budget: conditions in the same group are compared with each other and with its FP. */
    public String groupKey() {
        return environment + "|" + budget.key();
    }

    /** {@code wall · 300×10 CEM, 50 MPC}. */
    public String groupLabel() {
        return environment + " · " + budget.label();
    }

    /** Configuration label, with the budget when several budgets are in play. */
    public String displayName(boolean withBudget) {
        return withBudget ? configuration + " @ " + budget.optSteps() + "/" + budget.maxIter() : configuration;
    }
}
