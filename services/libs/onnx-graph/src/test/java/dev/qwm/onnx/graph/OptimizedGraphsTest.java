package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.qwm.onnx.build.OnnxGraphBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizedGraphsTest {

    /** X[B,256] · W[256,256]: a 256 KiB weight, more than the child's file size limit lets ORT write. */
    static ModelProto largeModel() {
        OnnxGraphBuilder g = new OnnxGraphBuilder("large");
        String x = g.input("X", DataType.FLOAT, "B", 256);
        float[] w = new float[256 * 256];
        for (int i = 0; i < w.length; i++) {
            w[i] = (i % 97) / 97f;
        }
        g.output(g.matMul(x, g.floatTensor("w", w, 256, 256)), DataType.FLOAT, "B", 256);
        return g.build();
    }

    @Test
    void aFileSizeLimitIsNamedWhenOrtCannotWriteTheOptimisedGraph(@TempDir Path dir) throws Exception {
        // the native library loaded from where the parent put it: the child writes nothing before the graph
        Path lib = Files.createDirectories(dir.resolve("native"));
        for (String name : new String[] {"libonnxruntime.so", "libonnxruntime4j_jni.so"}) {
            try (var in = ai.onnxruntime.OrtEnvironment.class.getResourceAsStream("/ai/onnxruntime/native/linux-x64/" + name)) {
                org.junit.jupiter.api.Assumptions.assumeTrue(in != null, "ORT's linux-x64 native library");
                Files.copy(in, lib.resolve(name));
            }
        }
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        String output = underFileSizeLimit(tmp, "-Donnxruntime.native.path=" + lib);
        assertTrue(output.contains("ONNX Runtime cannot load the model"), output);
        assertTrue(output.contains("it was writing its optimised graph (about 256 KiB) to " + tmp), output);
        assertTrue(output.contains("at most 65536 bytes (ulimit -f)"), output);
        assertTrue(output.contains("MiB are free"), output);
    }

    @Test
    void aFileSizeLimitIsNamedWhenOrtCannotExtractItsNativeLibrary(@TempDir Path dir) throws Exception {
        String output = underFileSizeLimit(dir, "-Dqwm.unused=1");
        assertTrue(output.contains("ONNX Runtime's native library cannot be loaded"), output);
        assertTrue(output.contains("extracted into the temp folder " + dir), output);
        assertTrue(output.contains("at most 65536 bytes (ulimit -f)"), output);
    }

    /** Runs {@link OptimizeLarge} in a child JVM whose files may not exceed 64 KiB; its output. */
    private static String underFileSizeLimit(Path tmp, String property) throws Exception {
        Path bash = Path.of("/bin/bash");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(bash) && Files.exists(Path.of("/proc/self/limits")),
                "needs bash and Linux's /proc/self/limits");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // bash's ulimit -f counts KiB
        ProcessBuilder pb = new ProcessBuilder(bash.toString(), "-c", "ulimit -f 64 && exec \"$0\" \"$@\"", java,
                "-Djava.io.tmpdir=" + tmp, property, "-cp", System.getProperty("java.class.path"),
                OptimizeLarge.class.getName()).redirectErrorStream(true);
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        Process child = pb.start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(3, child.waitFor(), output);
        return output;
    }

    /** The child JVM: optimises the large model, printing the error; exit 3 when it failed. */
    public static final class OptimizeLarge {
        public static void main(String[] args) {
            try {
                OptimizedGraphs.optimized(largeModel());
                System.out.println("optimised without an error");
                System.exit(1);
            } catch (RuntimeException e) {
                System.out.println(e.getMessage());
                System.exit(3);
            }
        }
    }
}
