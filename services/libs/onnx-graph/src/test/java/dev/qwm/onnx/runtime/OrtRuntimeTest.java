package dev.qwm.onnx.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OrtRuntimeTest {

    @Test
    void oneEnvironmentPerJvm() {
        assertSame(OrtRuntime.environment(), OrtRuntime.environment());
    }

    @Test
    void runsATinyGraphFromAFileOnDirectBuffers(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("add.onnx");
        Files.write(model, TinyOnnx.addBias(new float[] {1f, 2f, 3f}));
        try (OnnxSession session = OrtRuntime.open(model, SessionConfig.singleThreaded())) {
            assertEquals(Set.of("x"), session.inputNames());
            assertArrayEquals(new long[] {-1, 3}, session.inputShape("x"));
            FloatBuffer x = OrtRuntime.directFloats(6);
            x.put(new float[] {0f, 0f, 0f, 10f, 20f, 30f}).rewind();
            try (OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(), x, new long[] {2, 3});
                 OrtSession.Result r = session.run(Map.of("x", t))) {
                float[][] y = (float[][]) r.get(0).getValue();
                assertArrayEquals(new float[] {1f, 2f, 3f}, y[0]);
                assertArrayEquals(new float[] {11f, 22f, 33f}, y[1]);
            }
        }
    }

    @Test
    void signatureMismatchNamesTheModel() {
        try (OnnxSession session = OrtRuntime.open(TinyOnnx.addBias(new float[] {1f}), "tiny-add",
                SessionConfig.singleThreaded())) {
            OnnxRuntimeException e = assertThrows(OnnxRuntimeException.class,
                    () -> session.requireSignature(Set.of("images"), Set.of("latents")));
            assertTrue(e.getMessage().contains("tiny-add") && e.getMessage().contains("[x]"), e.getMessage());
            session.requireSignature(Set.of("x"), Set.of("y"));
        }
    }

    @Test
    void missingAndBrokenModelsGetClearErrors(@TempDir Path dir) throws Exception {
        OnnxRuntimeException missing = assertThrows(OnnxRuntimeException.class,
                () -> OrtRuntime.open(dir.resolve("none.onnx"), SessionConfig.singleThreaded()));
        assertTrue(missing.getMessage().contains("none.onnx"), missing.getMessage());
        Path broken = dir.resolve("broken.onnx");
        Files.writeString(broken, "not a model");
        OnnxRuntimeException bad = assertThrows(OnnxRuntimeException.class,
                () -> OrtRuntime.open(broken, SessionConfig.singleThreaded()));
        assertTrue(bad.getMessage().contains("broken.onnx"), bad.getMessage());
        assertTrue(bad.getCause() instanceof OrtException);
    }

    @Test
    void threadCountsComeFromConfig() {
        String before = System.getProperty(SessionConfig.INTRA_OP_PROPERTY);
        try {
            System.setProperty(SessionConfig.INTRA_OP_PROPERTY, "2");
            assertEquals(2, SessionConfig.fromSystemProperties().intraOpThreads());
            System.setProperty(SessionConfig.INTRA_OP_PROPERTY, "two");
            assertThrows(IllegalArgumentException.class, SessionConfig::fromSystemProperties);
        } finally {
            if (before == null) {
                System.clearProperty(SessionConfig.INTRA_OP_PROPERTY);
            } else {
                System.setProperty(SessionConfig.INTRA_OP_PROPERTY, before);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> SessionConfig.ofThreads(0));
    }

    @Test
    void cudaWithoutTheGpuBuildIsRefusedNamingWhatItNeeds() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> OrtRuntime.open(
                TinyOnnx.addBias(new float[] {1f}), "tiny-add", SessionConfig.singleThreaded().withProvider(ExecutionProvider.CUDA)));
        assertTrue(e.getMessage().contains("onnxruntime_gpu"), e.getMessage());
        assertEquals(ExecutionProvider.CUDA, ExecutionProvider.parse(" Cuda "));
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class, () -> ExecutionProvider.parse("cdua"));
        assertTrue(typo.getMessage().contains("cdua") && typo.getMessage().contains("cuda"), typo.getMessage());
    }
}
