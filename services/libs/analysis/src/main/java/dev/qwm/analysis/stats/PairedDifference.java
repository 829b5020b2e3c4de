package dev.qwm.analysis.stats;

/**
 * Success of a first configuration minus a second on the same episodes: the 2×2 table of paired outcomes, the
 * difference of rates with its Newcombe interval, and the exact McNemar p-value.
 */
public record PairedDifference(int pairs, int bothSucceed, int onlyFirst, int onlySecond, int neither,
                               Estimate difference, double mcnemarP) {

    /** Pairs on which the two configurations disagree: all the information about their difference. */
    public int discordant() {
        return onlyFirst + onlySecond;
    }
}
