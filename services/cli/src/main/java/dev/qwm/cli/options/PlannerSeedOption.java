package dev.qwm.cli.options;

import picocli.CommandLine.Option;

/** {@code --seed}: the planner's seed, mixed with each episode's seed, so that a rerun plans the same episodes. */
public final class PlannerSeedOption {

    @Option(names = "--seed", defaultValue = "0", description = "Planner seed, mixed with each episode's seed"
            + " (default: ${DEFAULT-VALUE}).")
    long seed;

    public long seed() {
        return seed;
    }
}
