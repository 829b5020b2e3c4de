package dev.qwm.quant.bundle;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.Provenance;
import dev.qwm.quant.manifest.QuantizationManifest;
import java.util.Optional;

/**
 * The provenance of a bundle {@link BundleQuantizer} made: its quantization manifest (also beside it as
 * {@code quantization.json}) and the source bundle's provenance as that bundle stored it (any kind).
 *
 * <p>Bundles written before provenance was typed have no {@code kind} and keep the source's provenance under
 * {@value #LEGACY_SOURCE_ENTRY}; they read as this record (legacy, read only: it is never written so).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record QuantizedProvenance(String kind, QuantizationManifest quantization,
                                  @JsonAlias(LEGACY_SOURCE_ENTRY) JsonNode sourceProvenance) implements Provenance {

    public static final String KIND = Provenance.QUANTIZATION_KIND;
    /** Legacy, read only: the snake_case key of the source's provenance before provenance was typed. */
    static final String LEGACY_SOURCE_ENTRY = "source_provenance";

    public QuantizedProvenance {
        if (kind == null) {
            kind = KIND; // legacy: written before every provenance named its kind
        }
        if (!KIND.equals(kind)) {
            throw new IllegalArgumentException("kind must be \"" + KIND + "\", got " + kind);
        }
        if (quantization == null) {
            throw new IllegalArgumentException("quantization is missing");
        }
    }

    public QuantizedProvenance(QuantizationManifest quantization, JsonNode sourceProvenance) {
        this(KIND, quantization, sourceProvenance);
    }

    /** {@code m}'s provenance if the quantizer made it. */
    public static Optional<QuantizedProvenance> of(BundleManifest m) {
        return Provenance.read(m, KIND, QuantizedProvenance.class);
    }

    /** Whether {@code m} is a quantizer's output (without reading its manifest). */
    public static boolean quantized(BundleManifest m) {
        return Provenance.kindOf(m.provenance()).filter(KIND::equals).isPresent();
    }
}
