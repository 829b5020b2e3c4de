package dev.qwm.training.export;

import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.Provenance;
import java.util.Map;
import java.util.Optional;

/**
 * The provenance of a bundle {@link DinoWmScaleBundle} wrote: random weights at DINO-WM's scale.
 *
 * @param purpose    what it is for (and that it plans nothing)
 * @param parameters parameters per component
 */
public record RandomWeightsProvenance(String kind, String purpose, long seed, Map<String, Long> parameters)
        implements Provenance {

    public static final String KIND = "random-weights";

    public RandomWeightsProvenance {
        if (!KIND.equals(kind)) {
            throw new IllegalArgumentException("kind must be \"" + KIND + "\", got " + kind);
        }
    }

    /** {@code m}'s provenance if it holds random weights. */
    public static Optional<RandomWeightsProvenance> of(BundleManifest m) {
        return Provenance.read(m, KIND, RandomWeightsProvenance.class);
    }
}
