package dev.qwm.predictor.mapping;

import com.google.protobuf.UnsafeByteOperations;
import dev.qwm.api.common.v1.DataType;
import dev.qwm.api.common.v1.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** {@code qwm.common.v1.Tensor} to and from Java arrays (little-endian float32, as the contract says). */
public final class Tensors {

    private Tensors() {
    }

    /**
     * The elements of a float32 tensor of rank {@code rank}.
     *
     * @param what names the tensor in errors, e.g. "actions"
     * @throws IllegalArgumentException naming the problem if it is not float32, has another rank, a non-positive
     *     dimension, or a byte count that does not match its shape
     */
    public static float[] floats(Tensor t, String what, int rank, String layout) {
        requireShape(t, what, DataType.DATA_TYPE_FLOAT32, rank, layout);
        long count = elements(t);
        if (t.getData().size() != count * Float.BYTES) {
            throw new IllegalArgumentException(what + " of shape " + t.getShapeList() + " needs " + count * Float.BYTES
                    + " bytes of float32, got " + t.getData().size());
        }
        float[] out = new float[(int) count];
        t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** Checks that {@code t} is a uint8 tensor of rank {@code rank} whose bytes match its shape. */
    public static void requireBytes(Tensor t, String what, int rank, String layout) {
        requireShape(t, what, DataType.DATA_TYPE_UINT8, rank, layout);
        long count = elements(t);
        if (t.getData().size() != count) {
            throw new IllegalArgumentException(what + " of shape " + t.getShapeList() + " needs " + count
                    + " bytes of uint8, got " + t.getData().size());
        }
    }

    public static Tensor of(float[] values, long... shape) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        Tensor.Builder b = Tensor.newBuilder().setDataType(DataType.DATA_TYPE_FLOAT32)
                .setData(UnsafeByteOperations.unsafeWrap(bytes.array()));
        for (long d : shape) {
            b.addShape(d);
        }
        return b.build();
    }

    private static void requireShape(Tensor t, String what, DataType type, int rank, String layout) {
        if (t.getDataType() != type || t.getShapeCount() != rank) {
            throw new IllegalArgumentException(what + " must be a " + name(type) + " tensor " + layout + ", got "
                    + (t.getShapeCount() == 0 && t.getData().isEmpty() ? "none" : name(t.getDataType()) + " "
                    + t.getShapeList()));
        }
        List<Long> shape = t.getShapeList();
        for (long d : shape) {
            if (d < 1 || d > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(what + " has shape " + shape + "; every dimension must be >= 1");
            }
        }
    }

    private static long elements(Tensor t) {
        long n = 1;
        for (long d : t.getShapeList()) {
            n = n * d;
            if (n > Integer.MAX_VALUE / Float.BYTES) {
                break;
            }
        }
        if (n > Integer.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException("tensor of shape " + t.getShapeList() + " is too large");
        }
        return n;
    }

    private static String name(DataType type) {
        return switch (type) {
            case DATA_TYPE_FLOAT32 -> "float32";
            case DATA_TYPE_UINT8 -> "uint8";
            default -> type.name();
        };
    }
}
