package dev.qwm.cli.options;

import picocli.CommandLine.Option;

/**
 * {@code --margin}, {@code --confidence}, {@code --max-episodes}: the sequential paired non-inferiority test that
 * decides whether a quantized bundle plans as well as full precision ({@code verify}, and each of {@code autoquant}'s
 * confirmations).
 */
public final class NonInferiorityOptions {

    @Option(names = "--margin", defaultValue = "0.05", description = "The largest loss in success rate that still"
            + " passes verification (default ${DEFAULT-VALUE}).")
    double margin;

    @Option(names = "--confidence", defaultValue = "0.95", description = "Of each verification's confidence sequence"
            + " (two-sided): a verdict is wrong with probability at most (1 − confidence)/2 (default ${DEFAULT-VALUE}).")
    double confidence;

    @Option(names = "--max-episodes", defaultValue = "400", description = "Pairs of episodes at most per"
            + " verification; undecided there (default ${DEFAULT-VALUE}).")
    int maxEpisodes;

    public double margin() {
        return margin;
    }

    public double confidence() {
        return confidence;
    }

    public int maxEpisodes() {
        return maxEpisodes;
    }
}
