package dev.qwm.quantizer.job;

import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.onnx.bundle.BundleComponent;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.quant.bundle.BundleQuantizer;
import dev.qwm.quant.manifest.QuantizationManifest;
import dev.qwm.quant.recipe.WorldModelModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A quantized bundle of the store as a job reports it: its folder, its encoder and predictor artifacts, and its
 * quantization manifest ({@code quantization.json}), whose recipe says which components were rewritten.
 */
record StoredBundle(String bundle, List<Artifact> artifacts, String manifestJson) {

    static StoredBundle of(ModelBundle b) {
        Path manifestFile = b.directory().resolve(BundleQuantizer.MANIFEST_FILE);
        String manifest;
        Set<WorldModelModule> quantizedModules;
        try {
            manifest = Files.readString(manifestFile);
            quantizedModules = QuantizationManifest.read(manifest).recipe().modules().keySet();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the quantization manifest " + manifestFile, e);
        }
        String name = b.manifest().name();
        List<Artifact> artifacts = new ArrayList<>();
        artifacts.add(artifact(b, BundleManifest.VISUAL_ENCODER, ModelComponent.MODEL_COMPONENT_ENCODER, name,
                quantizedModules.contains(WorldModelModule.ENCODER)));
        artifacts.add(artifact(b, BundleManifest.PREDICTOR, ModelComponent.MODEL_COMPONENT_PREDICTOR, name,
                quantizedModules.contains(WorldModelModule.PREDICTOR)));
        return new StoredBundle(b.directory().toString(), List.copyOf(artifacts), manifest);
    }

    static Artifact artifact(ModelBundle b, String file, ModelComponent component, String label, boolean quantized) {
        BundleComponent c = b.manifest().components().get(file);
        return new Artifact(component, file, c.sha256(), b.directory().toString(), label, c.bytes(), quantized);
    }
}
