package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.WriteRoom;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * What ONNX Runtime really runs: the graph after its optimisations (QDQ fusion into MatMulIntegerToFloat,
 * DequantizeLinear→MatMul into MatMulNBits, ...), obtained from the optimised-model dump of a session.
 */
public final class OptimizedGraphs {

    private OptimizedGraphs() {
    }

    /**
     * The model as ORT rewrites it at EXTENDED level (which holds the QDQ and MatMulNBits fusions; ALL would add
     * only CPU-layout changes and warns that its dump is machine-specific).
     */
    public static ModelProto optimized(ModelProto model) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("qwm-optimized-", ".onnx");
            OrtRuntime.environment(); // loads the native library, or says why it cannot
            try (SessionOptions o = new SessionOptions()) {
                o.setIntraOpNumThreads(1);
                o.setOptimizationLevel(OptLevel.EXTENDED_OPT);
                o.setOptimizedModelFilePath(tmp.toString());
                try (OrtSession s = OrtRuntime.environment().createSession(model.toByteArray(), o)) {
                    // creating the session writes the optimised model
                }
            }
            return OnnxModels.read(tmp);
        } catch (OrtException e) {
            throw new GraphException("ONNX Runtime cannot load the model: " + e.getMessage() + writeProblem(e, tmp, model), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write or read ONNX Runtime's optimised model " + tmp + ": " + e
                    + writeProblem(e, tmp, model), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            }
        }
    }

    /**
     * Why writing the optimised model to {@code tmp} may have failed, or nothing when it plainly did not: ORT says
     * only "Protobuf serialization failed" when the file cannot be written whole (a full disk, a file size limit).
     */
    static String writeProblem(Exception e, Path tmp, ModelProto model) {
        String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        if (tmp == null || !(e instanceof IOException) && !m.contains("serializ") && !m.contains("write")) {
            return "";
        }
        StringBuilder b = new StringBuilder("; it was writing its optimised graph (about ")
                .append(model.getSerializedSize() / 1024).append(" KiB) to ").append(tmp);
        try {
            if (Files.exists(tmp)) {
                b.append(" (").append(Files.size(tmp) / 1024).append(" KiB of it written)");
            }
        } catch (IOException | RuntimeException ignored) {
            // the diagnosis goes without what it cannot read
        }
        return b.append(WriteRoom.explain(tmp.getParent())).toString();
    }

    /** Node count per op type ("com.microsoft:MatMulNBits" for contrib ops). */
    public static Map<String, Integer> opTypeCounts(ModelProto model) {
        Map<String, Integer> counts = new TreeMap<>();
        for (NodeProto n : model.getGraph().getNodeList()) {
            String key = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx") ? n.getOpType() : n.getDomain() + ":" + n.getOpType();
            counts.merge(key, 1, Integer::sum);
        }
        return counts;
    }

    /** Op counts of the graph ORT runs for {@code model}. */
    public static Map<String, Integer> runtimeOpTypeCounts(ModelProto model) {
        return opTypeCounts(optimized(model));
    }

    /** DequantizeLinear nodes ORT left feeding a float MatMul or Gemm in an optimised graph: QDQ pairs it did not fuse. */
    public static int unfusedDequantize(ModelProto optimized) {
        GraphIndex index = GraphIndex.of(optimized);
        int n = 0;
        for (NodeProto node : index.nodes()) {
            if (node.getOpType().equals("DequantizeLinear")) {
                for (NodeProto c : index.consumers(node.getOutput(0))) {
                    if (c.getOpType().equals("MatMul") || c.getOpType().equals("Gemm")) {
                        n++;
                    }
                }
            }
        }
        return n;
    }
}
