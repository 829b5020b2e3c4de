package dev.qwm.analysis.drift;

import java.util.Arrays;
import java.util.Locale;

/**
 * Open-loop latent error of one configuration's world model over 1..H macro steps, averaged over fixed validation
 * segments: from the same start, under the segment's recorded actions, the configuration's predicted latents are
 * compared at every step either with the full-precision model's prediction ({@link Reference#FULL_PRECISION}: what
 * quantization changed) or with the encoding of the real observations ({@link Reference#REAL}: how wrong the rollout
 * is). Measured by whoever runs the models (quantizer or planning side); the analysis takes it as plain input.
 *
 * @param error    mean squared latent error at horizon h = 1..H ({@code error[h-1]})
 * @param segments how many validation segments the means are over
 */
public record RolloutDrift(String environment, String configuration, Reference reference, double[] error, int segments) {

    /** What the rollout is compared with. */
    public enum Reference {
        FULL_PRECISION("fp"), REAL("real");

        private final String id;

        Reference(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static Reference parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "fp", "full_precision", "full-precision", "fp32" -> FULL_PRECISION;
                case "real", "encoded", "observed" -> REAL;
                default -> throw new IllegalArgumentException("unknown drift reference '" + text + "'; use fp or real");
            };
        }
    }

    public RolloutDrift {
        if (environment == null || environment.isBlank() || configuration == null || configuration.isBlank()) {
            throw new IllegalArgumentException("a drift curve needs an environment and a configuration label");
        }
        if (reference == null) {
            throw new IllegalArgumentException("drift curve of " + configuration + " has no reference (fp or real)");
        }
        if (error == null || error.length == 0) {
            throw new IllegalArgumentException("drift curve of " + configuration + " has no error values");
        }
        for (double e : error) {
            if (!(e >= 0) || Double.isInfinite(e)) {
                throw new IllegalArgumentException("drift curve of " + configuration + " has an error that is not a "
                        + "finite non-negative number: " + Arrays.toString(error));
            }
        }
        if (segments < 1) {
            throw new IllegalArgumentException("drift curve of " + configuration + " is over " + segments + " segments");
        }
        error = error.clone();
    }

    public int horizon() {
        return error.length;
    }

    /** Error at the last horizon step. */
    public double finalError() {
        return error[error.length - 1];
    }
}
