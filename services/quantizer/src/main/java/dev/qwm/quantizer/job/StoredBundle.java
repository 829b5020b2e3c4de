package dev.qwm.quantizer.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.onnx.bundle.BundleComponent;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.quant.bundle.BundleQuantizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A quantized bundle of the store as a job reports it: its folder, its encoder and predictor artifacts, and its
 * quantization manifest ({@code quantization.json}), whose recipe says which components were rewritten.
 */
record StoredBundle(String bundle, List<Artifact> artifacts, String manifestJson) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static StoredBundle of(ModelBundle b) {
        Path manifestFile = b.directory().resolve(BundleQuantizer.MANIFEST_FILE);
        String manifest;
        Set<String> quantizedModules = new HashSet<>();
        try {
            manifest = Files.readString(manifestFile);
            JsonNode modules = JSON.readTree(manifest).path("recipe").path("modules");
            modules.fieldNames().forEachRemaining(m -> quantizedModules.add(m.toLowerCase(java.util.Locale.ROOT)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the quantization manifest " + manifestFile, e);
        }
        String name = b.manifest().name();
        List<Artifact> artifacts = new ArrayList<>();
        artifacts.add(artifact(b, BundleManifest.VISUAL_ENCODER, ModelComponent.MODEL_COMPONENT_ENCODER, name,
                quantizedModules.contains("encoder")));
        artifacts.add(artifact(b, BundleManifest.PREDICTOR, ModelComponent.MODEL_COMPONENT_PREDICTOR, name,
                quantizedModules.contains("predictor")));
        return new StoredBundle(b.directory().toString(), List.copyOf(artifacts), manifest);
    }

    static Artifact artifact(ModelBundle b, String file, ModelComponent component, String label, boolean quantized) {
        BundleComponent c = b.manifest().components().get(file);
        return new Artifact(component, file, c.sha256(), b.directory().toString(), label, c.bytes(), quantized);
    }
}
