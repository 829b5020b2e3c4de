package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import com.google.protobuf.InvalidProtocolBufferException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reading, writing and opset bookkeeping of ONNX {@link ModelProto}s. */
public final class OnnxModels {

    /** The default (ai.onnx) operator-set domain; ONNX writes it as "" (and "ai.onnx" means the same). */
    public static final String DEFAULT_DOMAIN = "";
    /** ONNX Runtime's contrib operators (MatMulNBits, MatMulIntegerToFloat, DynamicQuantizeMatMul ...). */
    public static final String MICROSOFT_DOMAIN = "com.microsoft";

    private OnnxModels() {
    }

    public static ModelProto read(Path file) {
        try {
            return parse(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read ONNX model " + file, e);
        } catch (GraphException e) {
            throw new GraphException(file + ": " + e.getMessage(), e);
        }
    }

    public static ModelProto parse(byte[] bytes) {
        try {
            ModelProto model = ModelProto.parseFrom(bytes);
            if (!model.hasGraph()) {
                throw new GraphException("not an ONNX model (no graph)");
            }
            return model;
        } catch (InvalidProtocolBufferException e) {
            throw new GraphException("not an ONNX model: " + e.getMessage(), e);
        }
    }

    public static void write(ModelProto model, Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.write(file, model.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write ONNX model " + file, e);
        }
    }

    /** The version of {@code domain} the model imports, or -1 if it imports none. */
    public static long opsetVersion(ModelProto model, String domain) {
        for (OperatorSetIdProto op : model.getOpsetImportList()) {
            if (sameDomain(op.getDomain(), domain)) {
                return op.getVersion();
            }
        }
        return -1;
    }

    /**
     * The model importing {@code domain} at version at least {@code minVersion}. Raising the default opset is only
     * safe for the ops this library emits; callers that raise it check the ops they keep (see
     * {@link GraphEditor#requireOpset}).
     */
    public static ModelProto withOpset(ModelProto model, String domain, long minVersion) {
        ModelProto.Builder b = model.toBuilder();
        for (int i = 0; i < b.getOpsetImportCount(); i++) {
            OperatorSetIdProto op = b.getOpsetImport(i);
            if (sameDomain(op.getDomain(), domain)) {
                if (op.getVersion() < minVersion) {
                    b.setOpsetImport(i, op.toBuilder().setVersion(minVersion));
                }
                return b.build();
            }
        }
        b.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(domain).setVersion(minVersion));
        return b.build();
    }

    static boolean sameDomain(String a, String b) {
        return normalizeDomain(a).equals(normalizeDomain(b));
    }

    static String normalizeDomain(String d) {
        return d == null || d.equals("ai.onnx") ? "" : d;
    }
}
