package dev.qwm.analysis.sensitivity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads per-layer errors from the quantizer's manifests ({@code "format": "qwm-quantization/1"} to {@code /3}, whose
 * layers carry the same fields): a
 * {@code quantization.json}, a bundle's {@code model.json} (its {@code provenance.quantization}), or a bundle folder
 * holding either. Layers without an output error (e.g. no calibration rows) are left out.
 */
public final class SensitivityIo {

    public static final String MANIFEST_FORMAT = dev.qwm.quant.manifest.QuantizationManifest.FORMAT;
    private static final java.util.Set<String> READABLE = java.util.Set.of("qwm-quantization/1", "qwm-quantization/2",
            MANIFEST_FORMAT);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern WEIGHTS = Pattern.compile("W(\\d+)(?:-g(\\d+))?");

    private SensitivityIo() {
    }

    public static List<LayerSensitivity> read(Path path) {
        Path file = path;
        if (Files.isDirectory(path)) {
            file = Files.exists(path.resolve("quantization.json")) ? path.resolve("quantization.json") : path.resolve("model.json");
        }
        if (!Files.exists(file)) {
            throw new IllegalArgumentException(path + ": no quantization manifest here (quantization.json or model.json)");
        }
        try {
            return parse(JSON.readTree(file.toFile()), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read quantization manifest " + file + ": " + e.getMessage(), e);
        }
    }

    public static List<LayerSensitivity> parse(JsonNode root, String where) {
        JsonNode manifest = root;
        if (!READABLE.contains(root.path("format").asText())) {
            manifest = root.path("provenance").path("quantization");
        }
        if (!READABLE.contains(manifest.path("format").asText())) {
            throw new IllegalArgumentException(where + ": not a quantization manifest (no \"format\": \""
                    + MANIFEST_FORMAT + "\" at the top or under provenance.quantization)");
        }
        List<LayerSensitivity> out = new ArrayList<>();
        for (JsonNode module : manifest.path("modules")) {
            String name = module.path("module").asText();
            for (JsonNode l : module.path("layers")) {
                if (!l.hasNonNull("outputSqnrDb") && !l.hasNonNull("outputMse")) {
                    continue;
                }
                Matcher m = WEIGHTS.matcher(l.path("weights").asText());
                if (!m.matches()) {
                    throw new IllegalArgumentException(where + ": layer " + l.path("layer").asText()
                            + " has weights '" + l.path("weights").asText() + "', expected e.g. W4-g128 or W8");
                }
                out.add(new LayerSensitivity(name, l.path("layer").asText(), l.path("inFeatures").asInt(),
                        l.path("outFeatures").asInt(), l.path("method").asText(), Integer.parseInt(m.group(1)),
                        m.group(2) == null ? 0 : Integer.parseInt(m.group(2)), l.path("activations").asText("A16"),
                        l.path("outputMse").asDouble(Double.NaN), l.path("outputSqnrDb").asDouble(Double.NaN),
                        l.path("kernel").path("weightBytes").asLong(-1)));
            }
        }
        if (out.isEmpty()) {
            throw new NoLayerErrors(where + ": the manifest reports no per-layer output error");
        }
        return out;
    }

    /** A manifest without per-layer output errors: a recipe quantized without calibration data, not a damaged file. */
    public static final class NoLayerErrors extends IllegalArgumentException {
        NoLayerErrors(String message) {
            super(message);
        }
    }
}
