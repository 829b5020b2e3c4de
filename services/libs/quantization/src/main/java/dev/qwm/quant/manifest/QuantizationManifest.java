package dev.qwm.quant.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.qwm.quant.recipe.Recipe;

import java.util.List;

/**
 * The record of a quantization: the recipe, the calibration set's fingerprint, the CPU it was emitted for, and per
 * module the per-layer kernels, errors and bytes. Stored as JSON beside the quantized model (and as the bundle's
 * provenance).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record QuantizationManifest(String format, Recipe recipe, String calibrationFingerprint, long calibrationBatches,
                                   String cpu, String cpuFeatures, String sourceBundle, List<ModuleReport> modules) {

    public static final String FORMAT = "qwm-quantization/1";

    // errors are stored as nullable Doubles, never NaN, so the JSON stays standard
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the quantization manifest", e);
        }
    }

    public JsonNode toJsonNode() {
        return JSON.valueToTree(this);
    }
}
