package dev.qwm.quant.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.qwm.onnx.runtime.RunEnvironment;
import dev.qwm.quant.recipe.Recipe;

import dev.qwm.onnx.kernel.KernelChoice;

import java.util.List;
import java.util.Map;

/**
 * The record of a quantization: the recipe, the calibration set's fingerprint, where it ran (CPU, ONNX Runtime,
 * provider, threads), and per module what each layer computes (fixed by the recipe), the kernel variant chosen for
 * this CPU, errors and bytes. Stored as JSON beside the quantized model (and as the bundle's provenance).
 * {@code kernelChoices} (per component; null when choice is off) are the load-time kernel variants measured on the
 * quantizing CPU ({@link KernelChoice}: each weight-only MatMulNBits as is or as a bit-identical float MatMul, with
 * both times); a CPU of another class measures again when it loads the bundle.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record QuantizationManifest(String format, Recipe recipe, String calibrationFingerprint, long calibrationBatches,
                                   RunEnvironment ranOn, String sourceBundle, List<ModuleReport> modules,
                                   Map<String, KernelChoice.Choices> kernelChoices) {

    /**
     * Version 2: numerics (groups per row, digests) apart from kernel variants; where it ran as {@code ranOn}.
     * Version 3: a module's {@code weightBytesAfter} counts the layers it kept in float too ({@link ModuleWeightBytes}).
     */
    public static final String FORMAT = "qwm-quantization/3";

    // errors are stored as nullable Doubles, never NaN, so the JSON stays standard
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the quantization manifest", e);
        }
    }

    /** What the quantized modules compute, independent of the CPU that emitted them. */
    @JsonIgnore
    public List<String> numerics() {
        List<String> n = new java.util.ArrayList<>();
        for (ModuleReport m : modules) {
            n.add("module " + m.module());
            n.addAll(m.numerics());
        }
        return n;
    }

    /** A manifest as {@link #toJson} wrote it ({@code quantization.json}). */
    public static QuantizationManifest read(String json) {
        try {
            return JSON.readValue(json, QuantizationManifest.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a quantization manifest (" + FORMAT + "): "
                    + e.getOriginalMessage(), e);
        }
    }
}
