package dev.qwm.analysis.drift;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Rollout drift measurements as JSON:
 * <pre>{"format": "qwm-drift/1", "curves": [
 *   {"environment": "wall", "configuration": "predictor/w4a16/rtn", "reference": "fp", "segments": 32,
 *    "error": [0.0012, 0.0031, ...]}]}</pre>
 */
public final class DriftIo {

    public static final String FORMAT = "qwm-drift/1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private DriftIo() {
    }

    public static List<RolloutDrift> read(Path file) {
        try {
            return parse(JSON.readTree(file.toFile()), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read drift measurements " + file + ": " + e.getMessage(), e);
        }
    }

    public static List<RolloutDrift> parse(JsonNode root, String where) {
        if (!FORMAT.equals(root.path("format").asText())) {
            throw new IllegalArgumentException(where + ": not a drift file (format must be \"" + FORMAT + "\", got "
                    + root.path("format") + ")");
        }
        List<RolloutDrift> out = new ArrayList<>();
        int i = 0;
        for (JsonNode c : root.path("curves")) {
            double[] error = new double[c.path("error").size()];
            for (int h = 0; h < error.length; h++) {
                error[h] = c.path("error").get(h).asDouble(Double.NaN);
            }
            try {
                out.add(new RolloutDrift(c.path("environment").asText(), c.path("configuration").asText(),
                        RolloutDrift.Reference.parse(c.path("reference").asText()), error, c.path("segments").asInt(0)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": curves[" + i + "]: " + e.getMessage(), e);
            }
            i++;
        }
        return out;
    }

    public static void write(List<RolloutDrift> curves, Path file) {
        ObjectNode root = JSON.createObjectNode().put("format", FORMAT);
        ArrayNode arr = root.putArray("curves");
        for (RolloutDrift d : curves) {
            ObjectNode c = arr.addObject().put("environment", d.environment()).put("configuration", d.configuration())
                    .put("reference", d.reference().id()).put("segments", d.segments());
            ArrayNode e = c.putArray("error");
            for (double v : d.error()) {
                e.add(v);
            }
        }
        try {
            JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
