package dev.qwm.onnx.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OrtProfileTest {

    @Test
    void countsKernelCallsPerOpTypeLeavingOutTheFirstRun(@TempDir Path dir) throws Exception {
        try (OnnxSession session = OrtRuntime.open(TinyOnnx.addBias(new float[] {1f, 2f}), "tiny-add",
                SessionConfig.singleThreaded().withProfiling(dir.resolve("trace")))) {
            for (int run = 0; run < 4; run++) {
                FloatBuffer x = OrtRuntime.directFloats(2);
                x.put(new float[] {run, run}).rewind();
                try (OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(), x, new long[] {1, 2});
                     OrtSession.Result r = session.run(Map.of("x", t))) {
                    assertEquals(1, r.size());
                }
            }
        }
        // closing the session wrote the trace
        try (var files = Files.list(dir)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("trace")));
        }
        OrtProfile p = OrtProfile.readAll(dir);
        assertEquals(3, p.runs());
        assertEquals(Map.of("Add", 3L), p.opCalls());
        assertTrue(p.runMicros() >= p.kernelMicros());
    }

    @Test
    void aFolderWithoutTracesIsAClearError(@TempDir Path dir) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> OrtProfile.readAll(dir));
        assertTrue(e.getMessage().contains("no profile"), e.getMessage());
    }
}
