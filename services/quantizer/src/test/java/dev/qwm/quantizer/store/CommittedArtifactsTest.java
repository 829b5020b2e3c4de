package dev.qwm.quantizer.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.quant.bundle.BundleQuantizer;
import dev.qwm.quant.bundle.QuantizedProvenance;
import dev.qwm.quant.emit.EmitOptions;
import dev.qwm.quant.manifest.QuantizationManifest;
import dev.qwm.quantizer.job.SubmissionChecks;
import dev.qwm.training.train.TrainingProvenance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The quantized bundles committed with the Wall study (its 18 calibrated artifacts written before provenance was typed:
 * no {@code kind}, the source's provenance under the legacy {@code source_provenance}; any written since: typed) load, read as typed records that lose nothing, and
 * are still named by the ids the quantizer computes for their source and recipe, so that a study restoring them into
 * the artifact store finds them again.
 */
class CommittedArtifactsTest {

    private static final Path REPO = Path.of("../..").toAbsolutePath().normalize();
    private static final Path ARTIFACTS = REPO.resolve("docs/evals/quantwm-wall/artifacts");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<Path> artifacts() throws IOException {
        try (Stream<Path> s = Files.list(ARTIFACTS)) {
            return s.filter(Files::isDirectory).sorted().toList();
        }
    }

    @Test
    void everyCommittedArtifactLoadsAsTypedProvenanceAndKeepsItsId() throws IOException {
        List<Path> dirs = artifacts();
        int legacy = 0;
        ModelBundle source = ModelBundle.read(REPO.resolve("models/wall"));
        SubmissionChecks checks = new SubmissionChecks(EmitOptions.DEFAULTS, Optional.empty(), Optional.empty(),
                Map.of());
        for (Path dir : dirs) {
            ModelBundle b = ModelBundle.read(dir); // every component's size and sha256 verified
            JsonNode stored = b.manifest().provenance();
            QuantizedProvenance typed = QuantizedProvenance.of(b.manifest()).orElseThrow();
            QuantizationManifest beside = QuantizationManifest.read(
                    Files.readString(dir.resolve(BundleQuantizer.MANIFEST_FILE)));
            assertEquals(beside, typed.quantization(), dir + ": model.json and quantization.json agree");

            // nothing lost: the typed record writes what was stored (a legacy one with its kind named and the
            // source's provenance under its camelCase key)
            JsonNode expected = stored;
            if (!stored.has("kind")) {
                legacy++;
                ObjectNode renamed = JSON.createObjectNode().put("kind", QuantizedProvenance.KIND);
                renamed.set("quantization", stored.get("quantization"));
                renamed.set("sourceProvenance", stored.get("source_provenance"));
                expected = renamed;
            }
            assertEquals(expected, reparsed(typed.toJson()), dir.toString());
            assertEquals(reparsed(JSON.readTree(dir.resolve(BundleQuantizer.MANIFEST_FILE).toFile())),
                    reparsed(JSON.valueToTree(beside)), dir + ": quantization.json reads and writes back whole");

            // the source's provenance is the shipped model's training provenance, typed too
            assertEquals(TrainingProvenance.of(source.manifest()).orElseThrow().toJson(), typedSource(typed).toJson());

            // the id the quantizer gives this source and recipe is the folder's name
            assertEquals(source.reference(), typed.quantization().sourceBundle());
            String id = checks.check(source, typed.quantization().recipe(), typed.quantization().calibrationBatches() > 0)
                    .id();
            assertEquals(dir.getFileName().toString(), id);
        }
        // the Wall study's 18 calibrated artifacts were written before provenance was typed
        assertTrue(legacy >= 18, legacy + " legacy artifacts");
    }

    private static TrainingProvenance typedSource(QuantizedProvenance q) throws IOException {
        return JSON.treeToValue(q.sourceProvenance(), TrainingProvenance.class);
    }

    /** A tree as parsed from text (ints as ints), so that trees from records and from files compare. */
    private static JsonNode reparsed(JsonNode tree) throws IOException {
        return JSON.readTree(JSON.writeValueAsString(tree));
    }

    @Test
    void aProvenanceWithoutQuantizationIsNotAQuantizersOutput() throws IOException {
        ModelBundle source = ModelBundle.read(REPO.resolve("models/wall"));
        assertFalse(QuantizedProvenance.quantized(source.manifest()));
        assertTrue(QuantizedProvenance.of(source.manifest()).isEmpty());
        assertTrue(QuantizedProvenance.quantized(ModelBundle.read(artifacts().get(0)).manifest()));
    }
}
