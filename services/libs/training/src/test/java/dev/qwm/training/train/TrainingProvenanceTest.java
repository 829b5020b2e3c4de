package dev.qwm.training.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.onnx.bundle.BundleException;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.training.export.RandomWeightsProvenance;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The shipped models' provenance reads as {@link TrainingProvenance} and writes back as it was stored. */
class TrainingProvenanceTest {

    private static final Path MODELS = Path.of("../../../models").toAbsolutePath().normalize();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** camelCase: what every key of a provenance document is, except component names (map keys, not fields). */
    private static final Pattern CAMEL = Pattern.compile("[a-z][a-zA-Z0-9]*");

    @Test
    void theShippedModelsReadAsTypedRecordsThatLoseNothing() throws Exception {
        for (String env : new String[] {"wall", "pusht"}) {
            BundleManifest m = ModelBundle.read(MODELS.resolve(env)).manifest();
            TrainingProvenance p = TrainingProvenance.of(m).orElseThrow();
            assertEquals(m.provenance().get("predictor").get("steps").asLong(), p.predictor().steps());
            assertEquals(m.provenance(), JSON.readTree(JSON.writeValueAsString(p.toJson())), env);
            assertTrue(RandomWeightsProvenance.of(m).isEmpty(), "another kind is not read as this one");
            camelCase(p.toJson(), env);
        }
    }

    @Test
    void aFieldTheRecordDoesNotHaveIsRefusedByName() throws Exception {
        BundleManifest m = ModelBundle.read(MODELS.resolve("wall")).manifest();
        String json = ModelBundle.toJson(m);
        assertTrue(json.contains("\"provenance\" : {"));
        BundleManifest withExtra = ModelBundle.parseManifest(json.replace("\"provenance\" : {",
                "\"provenance\" : {\"learningRateTypo\" : 1,"), "test");
        BundleException e = assertThrows(BundleException.class, () -> TrainingProvenance.of(withExtra));
        assertTrue(e.getMessage().contains("learningRateTypo"), e.getMessage());
    }

    private static void camelCase(JsonNode node, String where) {
        if (node.isObject()) {
            node.fields().forEachRemaining(f -> {
                boolean componentNames = where.endsWith("/parameters");
                assertTrue(componentNames || CAMEL.matcher(f.getKey()).matches(), where + "/" + f.getKey());
                camelCase(f.getValue(), where + "/" + f.getKey());
            });
        } else if (node.isArray()) {
            node.forEach(n -> camelCase(n, where));
        }
    }
}
