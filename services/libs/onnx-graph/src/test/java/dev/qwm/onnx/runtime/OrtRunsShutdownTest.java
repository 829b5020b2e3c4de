package dev.qwm.onnx.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM while a thread is inside ORT's native Run: the JVM must exit as a terminated process (143), its shutdown
 * hook having stopped the run, never crash in libonnxruntime. In child JVMs, which are signalled only once a watcher
 * thread has seen the running thread inside the native {@code OrtSession.run} of a model that takes far longer than
 * the signal to arrive (a chain of 2,000 matrix products), so no timing decides the outcome. Slow tier: three child
 * JVMs that each open a 2,000-node session take 30-40 s.
 */
@Tag("slow")
class OrtRunsShutdownTest {

    @Test
    void sigtermDuringARunStopsItAndExitsCleanlyEveryTime() throws Exception {
        for (int attempt = 1; attempt <= 3; attempt++) {
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), RunForever.class.getName())
                    .redirectErrorStream(true).start();
            StringBuilder seen = new StringBuilder();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null && !line.equals("in run")) {
                    seen.append(line).append('\n');
                }
                assertTrue(line != null, "attempt " + attempt + ": the child reaches ORT's Run: " + seen);
                child.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of its output)
                while ((line = out.readLine()) != null) {
                    seen.append(line).append('\n');
                }
            } finally {
                child.destroyForcibly();
            }
            int exit = child.waitFor();
            String output = seen.toString();
            assertEquals(143, exit, "attempt " + attempt + ": terminated by SIGTERM, not crashed: " + output);
            assertFalse(output.contains("SIGSEGV") || output.contains("hs_err"), output);
            assertTrue(output.contains("stopped 1 ONNX Runtime run before exit"), output);
        }
    }

    /** The child: runs a long model again and again; a watcher says when the main thread is inside Run. */
    public static final class RunForever {
        public static void main(String[] args) throws Exception {
            int n = 1024;
            int rows = 256;
            int chain = 2000;
            float[] w = new float[n * n];
            Arrays.fill(w, 1f / n);
            OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder().setName("chain")
                    .addInput(TinyOnnx.floatInput("x", "rows", n)).addOutput(TinyOnnx.floatInput("y", "rows", n))
                    .addInitializer(TinyOnnx.floatTensor("w", new long[]{n, n}, w));
            for (int i = 0; i < chain; i++) {
                g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("MatMul").addInput(i == 0 ? "x" : "h" + (i - 1))
                        .addInput("w").addOutput(i == chain - 1 ? "y" : "h" + i));
            }
            Thread main = Thread.currentThread();
            Thread watcher = new Thread(() -> {
                while (true) {
                    StackTraceElement[] s = main.getStackTrace();
                    if (s.length > 0 && s[0].isNativeMethod() && s[0].getClassName().equals("ai.onnxruntime.OrtSession")
                            && s[0].getMethodName().equals("run")) {
                        System.out.println("in run");
                        System.out.flush();
                        return;
                    }
                    Thread.onSpinWait();
                }
            }, "watcher");
            watcher.setDaemon(true);
            try (OnnxSession s = OrtRuntime.open(TinyOnnx.model(g.build()).toByteArray(), "chain", SessionConfig.ofThreads(1))) {
                FloatBuffer x = OrtRuntime.directFloats(rows * n);
                for (int i = 0; i < rows * n; i++) {
                    x.put(i, (i % 7) / 7f);
                }
                try (OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(), x, new long[]{rows, n})) {
                    watcher.start();
                    while (true) {
                        s.run(Map.of("x", t)).close();
                    }
                }
            }
        }
    }
}
