package dev.qwm.onnx.bundle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * What made a bundle: the document in model.json's {@code provenance}, one record per kind, each naming its kind in
 * {@code kind} and keyed in camelCase (docs/bundle-contract.md). The kinds: {@code training} (the training library's
 * TrainingProvenance), {@code random-weights} (RandomWeightsProvenance), {@code dinowm-import}
 * ({@link dev.qwm.onnx.dinowm.ImportProvenance}) and {@code quantization} (the quantization library's
 * QuantizedProvenance: its manifest and the source bundle's provenance).
 *
 * <p>The records are written and read with the bundle's own mapper (Jackson), which refuses a field a record does not
 * have: a document that reads as its record holds nothing else.
 */
public interface Provenance {

    /** The key every provenance document names its kind with. */
    String KIND = "kind";
    /**
     * Legacy, read only: quantized bundles written before provenance was typed have no {@code kind}, only this entry
     * (and their source's provenance under {@code source_provenance}).
     */
    String LEGACY_QUANTIZATION_ENTRY = "quantization";
    /** The kind of a quantized bundle's provenance. */
    String QUANTIZATION_KIND = "quantization";

    String kind();

    /** The kind of a stored provenance document; empty when there is none or it names none. */
    static Optional<String> kindOf(JsonNode provenance) {
        if (provenance == null || !provenance.isObject()) {
            return Optional.empty();
        }
        if (provenance.path(KIND).isTextual()) {
            return Optional.of(provenance.get(KIND).asText());
        }
        return provenance.path(LEGACY_QUANTIZATION_ENTRY).isObject() ? Optional.of(QUANTIZATION_KIND)
                : Optional.empty();
    }

    /**
     * {@code manifest}'s provenance as record {@code type} if it is of {@code kind}; empty if it is of another kind.
     *
     * @throws BundleException if it is of that kind but does not read as the record (naming what does not fit)
     */
    static <T extends Provenance> Optional<T> read(BundleManifest manifest, String kind, Class<T> type) {
        JsonNode p = manifest.provenance();
        if (!kindOf(p).filter(kind::equals).isPresent()) {
            return Optional.empty();
        }
        try {
            return Optional.of(ModelBundle.mapper().treeToValue(p, type));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new BundleException("bundle " + manifest.name() + ": its " + kind + " provenance does not read as "
                    + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /** This record as the JSON tree model.json stores. */
    default JsonNode toJson() {
        return ModelBundle.mapper().valueToTree(this);
    }
}
