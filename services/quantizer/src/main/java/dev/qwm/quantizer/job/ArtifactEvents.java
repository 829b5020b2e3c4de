package dev.qwm.quantizer.job;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.api.common.v1.RunEnvironment;
import dev.qwm.api.events.v1.ArtifactCreated;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.quant.bundle.QuantizedProvenance;
import dev.qwm.quant.manifest.QuantizationManifest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/** The ArtifactCreated events of bundles: built here, published by {@link ArtifactPublication}. */
public final class ArtifactEvents {

    /** The bundle components that are artifacts of studies: the encoder and the predictor. */
    public static final Map<String, ModelComponent> COMPONENTS = Map.of(
            BundleManifest.VISUAL_ENCODER, ModelComponent.MODEL_COMPONENT_ENCODER,
            BundleManifest.PREDICTOR, ModelComponent.MODEL_COMPONENT_PREDICTOR);

    private ArtifactEvents() {
    }

    /** A bundle that no quantization made. */
    public static boolean fullPrecision(ModelBundle b) {
        return !QuantizedProvenance.quantized(b.manifest());
    }

    /** ArtifactCreated without a source for the encoder and predictor of a full-precision bundle. */
    public static List<ArtifactCreated> registrations(ModelBundle source, long now) {
        List<ArtifactCreated> out = new ArrayList<>();
        String provenance = source.manifest().provenance() == null ? "" : source.manifest().provenance().toString();
        for (Map.Entry<String, ModelComponent> c : new TreeMap<>(COMPONENTS).entrySet()) {
            out.add(event(ref(source, c.getKey(), c.getValue()), null, "", provenance,
                    source.manifest().components().get(c.getKey()).bytes(), now));
        }
        return out;
    }

    /** ArtifactCreated, with its source, for each artifact of an output bundle that differs from the source's. */
    public static List<ArtifactCreated> quantized(ModelBundle source, List<Artifact> artifacts, String recipeJson,
                                                  String manifestJson, long now) {
        List<ArtifactCreated> out = new ArrayList<>();
        for (Artifact a : artifacts) {
            ArtifactRef from = ref(source, a.file(), a.component());
            if (!a.sha256().equals(from.getSha256())) {
                ArtifactCreated e = event(a.ref(), from, recipeJson, manifestJson, a.bytes(), now);
                RunEnvironment quantizedOn = quantizedOn(manifestJson);
                out.add(quantizedOn == null ? e : e.toBuilder().setQuantizedOn(quantizedOn).build());
            }
        }
        return out;
    }

    /** The manifest's {@code ranOn} (format 2 on), as the wire carries it; null when it has none. */
    static RunEnvironment quantizedOn(String manifestJson) {
        dev.qwm.onnx.runtime.RunEnvironment r = QuantizationManifest.read(manifestJson).ranOn();
        if (r == null) {
            return null;
        }
        return RunEnvironment.newBuilder().setCpuModel(r.cpu()).setCpuClass(r.cpuClass())
                .setCpuFeatures(r.cpuFeatures()).setOnnxRuntime(r.onnxRuntime())
                .setExecutionProvider(r.executionProvider()).setThreads(r.threads()).build();
    }

    /** What identifies an announced artifact: its sha256 in its bundle. */
    public static String key(ArtifactCreated e) {
        return e.getArtifact().getSha256() + "@" + e.getArtifact().getBundle();
    }

    static ArtifactRef ref(ModelBundle b, String file, ModelComponent component) {
        return ArtifactRef.newBuilder().setSha256(b.manifest().components().get(file).sha256()).setComponent(component)
                .setBundle(b.directory().toString()).setLabel(b.manifest().name()).build();
    }

    /** Event ids derive from (artifact, bundle), so a republication is recognised as the same event downstream. */
    static ArtifactCreated event(ArtifactRef artifact, ArtifactRef source, String recipeJson, String manifestJson,
                                 long bytes, long now) {
        String eventId = UUID.nameUUIDFromBytes(("qwm.quantizer.artifact-created|" + artifact.getSha256() + "|"
                + artifact.getBundle()).getBytes(StandardCharsets.UTF_8)).toString();
        ArtifactCreated.Builder b = ArtifactCreated.newBuilder().setEventId(eventId).setArtifact(artifact)
                .setRecipeJson(recipeJson).setManifestJson(manifestJson).setSizeBytes(bytes).setCreatedAtUnixMs(now);
        if (source != null) {
            b.setSource(source);
        }
        return b.build();
    }
}
