package dev.qwm.quant.manifest;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.qwm.onnx.graph.GraphIndex;
import dev.qwm.onnx.graph.LinearLayer;
import dev.qwm.onnx.graph.TensorData;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The one definition of a module's weight bytes ({@link ModuleReport#weightBytesBefore} and
 * {@link ModuleReport#weightBytesAfter}): the weights of its linear layers. Before quantization every one in float;
 * after, each quantized layer at its stored size (codes, scales, zero points, sums) plus every layer the recipe kept in
 * float (QuantWM's encoder recipes keep the patch embedding) at its float size. Biases, norms and embeddings are no
 * linear layer's weight and count in neither, so the two compare weight for weight.
 *
 * <p>Manifests before {@code qwm-quantization/3} stored the quantized layers alone as {@code weightBytesAfter};
 * {@link #after(String, ModuleReport, Supplier)} completes theirs from the module's ONNX.
 */
public final class ModuleWeightBytes {

    /** The first manifest format whose {@code weightBytesAfter} counts the float layers too. */
    static final String COMPLETE_SINCE = "qwm-quantization/3";

    private ModuleWeightBytes() {
    }

    /** The weight bytes of the named linear layers of a model, as stored there. */
    public static long of(ModelProto model, Collection<String> layers) {
        Set<String> wanted = Set.copyOf(layers);
        GraphIndex index = GraphIndex.of(model);
        List<LinearLayer> found = LinearLayer.findAll(model).stream().filter(l -> wanted.contains(l.name())).toList();
        if (found.size() != wanted.size()) {
            Set<String> missing = new java.util.TreeSet<>(wanted);
            found.forEach(l -> missing.remove(l.name()));
            throw new IllegalArgumentException("no linear layer named " + missing + " in " + model.getGraph().getName());
        }
        long bytes = 0;
        for (LinearLayer l : found) {
            bytes += TensorData.payloadBytes(index.requireInitializer(l.weightName()));
        }
        return bytes;
    }

    /** A module's weight bytes after quantization: its quantized layers' stored bytes plus its float layers'. */
    public static long after(long quantizedLayerBytes, ModelProto quantizedModule, List<String> floatLayers) {
        return quantizedLayerBytes + of(quantizedModule, floatLayers);
    }

    /**
     * A stored manifest's {@code weightBytesAfter} for a module, by this definition whatever the manifest's format:
     * an older manifest's figure plus its float layers, read from the module's quantized ONNX (asked for only then).
     */
    public static long after(String manifestFormat, ModuleReport module, Supplier<ModelProto> quantizedModule) {
        if (complete(manifestFormat) || module.floatLayers().isEmpty()) {
            return module.weightBytesAfter();
        }
        return after(module.weightBytesAfter(), quantizedModule.get(), module.floatLayers());
    }

    private static boolean complete(String format) {
        String prefix = "qwm-quantization/";
        try {
            if (format != null && format.startsWith(prefix)) {
                return Integer.parseInt(format.substring(prefix.length()))
                        >= Integer.parseInt(COMPLETE_SINCE.substring(prefix.length()));
            }
        } catch (NumberFormatException e) {
            // named below
        }
        throw new IllegalArgumentException("not a quantization manifest format: '" + format + "'");
    }
}
