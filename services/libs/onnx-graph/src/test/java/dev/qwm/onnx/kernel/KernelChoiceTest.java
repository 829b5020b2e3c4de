package dev.qwm.onnx.kernel;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.qwm.onnx.graph.GraphIndex;
import dev.qwm.onnx.graph.Int8Weights;
import dev.qwm.onnx.graph.MatMulNBitsExpansion;
import dev.qwm.onnx.runtime.CpuFeatures;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.SessionConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelChoiceTest {

    @Test
    void theExpansionHoldsExactlyTheWeightsMatMulNBitsMultipliesBy() throws Exception {
        // 2-, 4- and 8-bit blocks; K = 84 leaves a padded last block of 32
        for (int[] c : new int[][]{{64, 48, 4, 32}, {84, 40, 4, 32}, {64, 24, 2, 16}, {64, 24, 8, 64}}) {
            int k = c[0];
            int n = c[1];
            ModelProto m = NBitsModels.twoLayers(k, n, c[2], c[3], 0, 7);
            ModelProto first = firstLayerOnly(m);
            ModelProto expanded = MatMulNBitsExpansion.expand(first, List.of("fc1"));
            assertFalse(expanded.getGraph().getNodeList().stream().anyMatch(x -> x.getOpType().equals("MatMulNBits")));
            // an identity input makes each output row one row of the weights: exact whatever the summation order
            float[] identity = new float[k * k];
            for (int i = 0; i < k; i++) {
                identity[i * k + i] = 1f;
            }
            try (OnnxSession packed = OrtRuntime.open(first.toByteArray(), "packed", SessionConfig.singleThreaded());
                 OnnxSession flat = OrtRuntime.open(expanded.toByteArray(), "expanded", SessionConfig.singleThreaded())) {
                float[] wPacked = NBitsModels.run(packed, identity, k, k);
                float[] wFlat = NBitsModels.run(flat, identity, k, k);
                for (int i = 0; i < wPacked.length; i++) {
                    assertTrue(wPacked[i] == wFlat[i], "bits " + c[2] + ", weight " + i + ": " + wPacked[i] + " vs " + wFlat[i]);
                }
            }
        }
    }

    @Test
    void int8ActivationsInsideTheKernelAreNeverExpanded() {
        ModelProto m = NBitsModels.twoLayers(64, 32, 4, 32, 4, 1);
        assertFalse(MatMulNBitsExpansion.expandable(m.getGraph().getNode(0), GraphIndex.of(m)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MatMulNBitsExpansion.expand(m, List.of("fc1")));
        assertTrue(e.getMessage().contains("fc1"), e.getMessage());
        assertTrue(KernelChoice.measure(m, "x", 1, CpuFeatures.AVX2, "test").layers().isEmpty());
    }

    @Test
    void choicesAreMeasuredPerCpuSignatureCachedAndFloatOnlyWhereBitIdentical(@TempDir Path cache) throws Exception {
        ModelProto m = NBitsModels.twoLayers(64, 48, 4, 32, 0, 3);
        String sha = KernelChoice.graphSha256(m.toByteArray());
        KernelChoice.Choices vnni = KernelChoice.choose(m, sha, 1, CpuFeatures.AVX512_VNNI, cache);
        assertFalse(vnni.fromCache());
        assertEquals(List.of("fc1", "fc2"), vnni.layers().stream().map(KernelChoice.Layer::node).toList());
        for (KernelChoice.Layer l : vnni.layers()) {
            assertTrue(l.cpuMs().get(KernelChoice.MATMUL_NBITS) > 0 && l.cpuMs().get(KernelChoice.FLOAT_MATMUL) > 0, l.toString());
            assertTrue(l.identical() || l.chosen().equals(KernelChoice.MATMUL_NBITS), l.toString());
        }
        assertEquals("avx512-vnni", vnni.cpuClass());
        assertEquals(sha, vnni.graphSha256());

        KernelChoice.Choices again = KernelChoice.choose(m, sha, 1, CpuFeatures.AVX512_VNNI, cache);
        assertTrue(again.fromCache());
        assertEquals(vnni.layers(), again.layers());

        // the same graph on a CPU of another class is measured again, and cached apart
        KernelChoice.Choices avx2 = KernelChoice.choose(m, sha, 1, CpuFeatures.AVX2, cache);
        assertFalse(avx2.fromCache());
        assertEquals("avx2", avx2.cpuClass());
        try (var files = Files.list(cache)) {
            assertEquals(2, files.filter(f -> f.toString().endsWith(".json")).count());
        }
        // another graph too
        assertFalse(KernelChoice.choose(NBitsModels.twoLayers(64, 48, 4, 32, 0, 4), "other", 1, CpuFeatures.AVX2,
                cache).fromCache());
    }

    @Test
    void aSessionOpenedWithItsChoicesComputesTheStoredGraphsNumbersBitForBit(@TempDir Path dir) throws Exception {
        int k = 64;
        ModelProto m = NBitsModels.twoLayers(k, k, 4, 32, 0, 5);
        Path file = dir.resolve("model.onnx");
        Files.write(file, m.toByteArray());
        try (OnnxSession stored = OrtRuntime.open(file, SessionConfig.singleThreaded());
             OnnxSession chosen = KernelChoice.open(file, SessionConfig.singleThreaded(), CpuFeatures.current(),
                     dir.resolve("cache"))) {
            for (int rows : new int[]{KernelChoice.PLANNING_ROWS, 16}) {
                float[] x = NBitsModels.input(rows, k, rows);
                assertArrayEquals(NBitsModels.run(stored, x, rows, k), NBitsModels.run(chosen, x, rows, k),
                        "rows " + rows);
            }
        }
    }

    @Test
    void int8WeightsChangeStorageBothWaysAndBack() {
        ModelProto m = NBitsModels.qdqLinear(64, 32, 1);
        List<Int8Weights.Site> sites = Int8Weights.find(m);
        assertEquals(List.of(new Int8Weights.Site("dequantize_w", Int8Weights.SIGNED, 64, 32, false)), sites);
        ModelProto unsigned = Int8Weights.withStorage(m, List.of("dequantize_w"), Int8Weights.UNSIGNED);
        Int8Weights.Site u = Int8Weights.find(unsigned).get(0);
        assertEquals(Int8Weights.UNSIGNED, u.storage());
        assertArrayEquals(Int8Weights.codes(m, sites.get(0)), Int8Weights.codes(unsigned, u));
        ModelProto back = Int8Weights.withStorage(unsigned, List.of("dequantize_w"), Int8Weights.SIGNED);
        assertArrayEquals(Int8Weights.codes(m, sites.get(0)), Int8Weights.codes(back, Int8Weights.find(back).get(0)));
        assertEquals(Int8Weights.SIGNED, Int8Weights.find(back).get(0).storage());
    }

    @Test
    void int8WeightsRunAsU8s8OnlyWhereThatIsExactHere(@TempDir Path dir) throws Exception {
        // stored u8×s8 (as a VNNI CPU writes them) with pair sums beyond 16 bits: on a CPU whose u8×s8 GEMM
        // saturates, the choice stores them u8×u8; either way the session computes the u8×u8 (exact) numbers
        int k = 64;
        ModelProto signed = NBitsModels.qdqLinear(k, 32, 2);
        ModelProto unsigned = Int8Weights.withStorage(signed, List.of("dequantize_w"), Int8Weights.UNSIGNED);
        Path file = dir.resolve("w8a8.onnx");
        Files.write(file, signed.toByteArray());
        KernelChoice.Choices c = KernelChoice.choose(signed, KernelChoice.graphSha256(signed.toByteArray()), 1,
                CpuFeatures.current(), dir.resolve("cache"));
        KernelChoice.Layer l = c.layers().get(0);
        assertEquals(Int8Weights.SIGNED, l.stored());
        assertTrue(l.identical() || l.chosen().equals(Int8Weights.UNSIGNED), l.toString());
        // with the choice off too (the stored kernels, for "before" figures): exactness is not a speed choice
        for (boolean measure : new boolean[]{true, false}) {
            try (OnnxSession exact = OrtRuntime.open(unsigned.toByteArray(), "u8u8", SessionConfig.singleThreaded());
                 OnnxSession chosen = KernelChoice.open(file, SessionConfig.singleThreaded(), CpuFeatures.current(),
                         dir.resolve("cache"), measure)) {
                for (int rows : new int[]{KernelChoice.PLANNING_ROWS, 16}) {
                    float[] x = NBitsModels.highInput(rows, k, rows);
                    assertArrayEquals(NBitsModels.run(exact, x, rows, k), NBitsModels.run(chosen, x, rows, k),
                            "rows " + rows + (measure ? "" : ", choice off"));
                }
            }
        }
        KernelChoice.Layer untimed = KernelChoice.exactInt8(signed, "sha", 1, CpuFeatures.current()).layers().get(0);
        assertEquals(l.identical(), untimed.identical(), "the untimed check finds what the timed one found: " + untimed);
        assertEquals(l.identical() ? Int8Weights.SIGNED : Int8Weights.UNSIGNED, untimed.chosen());
    }

    private static ModelProto firstLayerOnly(ModelProto m) {
        var g = m.getGraph().toBuilder().clearNode().addNode(m.getGraph().getNode(0).toBuilder().setOutput(0, "y"))
                .clearOutput().addOutput(m.getGraph().getOutput(0).toBuilder()
                        .setType(m.getGraph().getOutput(0).getType()))
                .clearInitializer();
        for (var t : m.getGraph().getInitializerList()) {
            if (t.getName().startsWith("fc1/")) {
                g.addInitializer(t);
            }
        }
        return m.toBuilder().setGraph(g).build();
    }
}
