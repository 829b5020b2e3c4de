package dev.qwm.quant.manifest;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.graph.GraphIndex;
import dev.qwm.onnx.graph.LinearLayer;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.quant.ModuleQuantizer;
import dev.qwm.quant.bundle.BundleQuantizer;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.WorldModelModule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A module's weight bytes after quantization count the layers it kept in float, in new and old manifests alike. */
class ModuleWeightBytesTest {

    static final Path WALL = Path.of("../../../models/wall");
    static final String PATCH_EMBED = "patch_embed/MatMul";

    @Test
    void weightBytesAfterCountTheLayersTheRecipeKeptInFloat(@TempDir Path dir) {
        ModelBundle fp = ModelBundle.read(WALL);
        // QuantWM's encoder recipes keep the patch embedding in float
        BundleQuantizer.Result r = BundleQuantizer.quantize(fp, Presets.recipe("w4a16", "encoder"), null, dir,
                ModuleQuantizer.Options.defaults());
        ModuleReport encoder = r.manifest().modules().get(0);
        assertEquals(List.of(PATCH_EMBED), encoder.floatLayers());

        ModelProto source = OnnxModels.read(fp.componentPath(WorldModelModule.ENCODER.component()));
        GraphIndex index = GraphIndex.of(source);
        long floatBytes = 0;
        long allBytes = 0;
        for (LinearLayer l : LinearLayer.findAll(source)) {
            long b = (long) l.inFeatures() * l.outFeatures() * Float.BYTES;
            assertEquals(b, index.requireInitializer(l.weightName()).getRawData().size(), l.name());
            allBytes += b;
            floatBytes += l.name().equals(PATCH_EMBED) ? b : 0;
        }
        long quantized = encoder.layers().stream().mapToLong(l -> l.kernel().weightBytes()).sum();
        assertTrue(floatBytes > 0 && quantized > 0);
        assertEquals(allBytes, encoder.weightBytesBefore());
        assertEquals(quantized + floatBytes, encoder.weightBytesAfter(),
                "the 4-bit layers at their stored size and the float patch embedding at 4 bytes a weight");

        // a manifest of format 2 stored the quantized layers alone: completed from the module's ONNX
        ModuleReport old = withWeightBytesAfter(encoder, quantized);
        ModelProto emitted = r.modules().get(WorldModelModule.ENCODER).model();
        assertEquals(encoder.weightBytesAfter(), ModuleWeightBytes.after("qwm-quantization/2", old, () -> emitted));
        assertEquals(encoder.weightBytesAfter(), ModuleWeightBytes.after(QuantizationManifest.FORMAT, encoder, () -> {
            throw new AssertionError("a current manifest's figure is complete: no ONNX needed");
        }));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModuleWeightBytes.after("qwm-dataset/1", encoder, () -> emitted));
        assertTrue(e.getMessage().contains("qwm-dataset/1"), e.getMessage());
    }

    private static ModuleReport withWeightBytesAfter(ModuleReport m, long after) {
        return new ModuleReport(m.module(), m.component(), m.layers(), m.groups(), m.floatLayers(), m.bytesBefore(),
                m.bytesAfter(), m.weightBytesBefore(), after, m.int8Gemm(), m.runtimeOps(), m.unfusedDequantize(),
                m.skipLayerNorms(), m.attention());
    }
}
