package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Conversions between Java arrays and ONNX {@link TensorProto}s. Tensors are written as little-endian
 * {@code raw_data} (what ONNX Runtime reads fastest); reading accepts both {@code raw_data} and the typed fields.
 */
public final class TensorData {

    private TensorData() {
    }

    public static long[] dims(TensorProto t) {
        return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    }

    public static long elementCount(TensorProto t) {
        long n = 1;
        for (long d : t.getDimsList()) {
            n *= d;
        }
        return n;
    }

    /** The values of a FLOAT (or DOUBLE) tensor, row-major. */
    public static float[] toFloats(TensorProto t) {
        requireInline(t);
        int n = Math.toIntExact(elementCount(t));
        float[] out = new float[n];
        if (t.getDataType() == DataType.FLOAT_VALUE) {
            if (!t.getRawData().isEmpty()) {
                requireBytes(t, (long) n * 4);
                t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            } else {
                requireCount(t, t.getFloatDataCount(), n);
                for (int i = 0; i < n; i++) {
                    out[i] = t.getFloatData(i);
                }
            }
            return out;
        }
        if (t.getDataType() == DataType.DOUBLE_VALUE) {
            if (!t.getRawData().isEmpty()) {
                requireBytes(t, (long) n * 8);
                var buf = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = (float) buf.get(i);
                }
            } else {
                requireCount(t, t.getDoubleDataCount(), n);
                for (int i = 0; i < n; i++) {
                    out[i] = (float) t.getDoubleData(i);
                }
            }
            return out;
        }
        throw new GraphException("tensor '" + t.getName() + "' has data type " + typeName(t.getDataType())
                + ", expected FLOAT");
    }

    /** The values of an INT64 tensor (shapes, axes). */
    public static long[] toLongs(TensorProto t) {
        requireInline(t);
        int n = Math.toIntExact(elementCount(t));
        if (t.getDataType() != DataType.INT64_VALUE) {
            throw new GraphException("tensor '" + t.getName() + "' has data type " + typeName(t.getDataType())
                    + ", expected INT64");
        }
        long[] out = new long[n];
        if (!t.getRawData().isEmpty()) {
            requireBytes(t, (long) n * 8);
            t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        } else {
            requireCount(t, t.getInt64DataCount(), n);
            for (int i = 0; i < n; i++) {
                out[i] = t.getInt64Data(i);
            }
        }
        return out;
    }

    public static TensorProto floats(String name, float[] data, long... dims) {
        checkCount(name, data.length, dims);
        ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(data);
        return tensor(name, DataType.FLOAT, buf.array(), dims);
    }

    public static TensorProto int64s(String name, long[] data, long... dims) {
        checkCount(name, data.length, dims);
        ByteBuffer buf = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        buf.asLongBuffer().put(data);
        return tensor(name, DataType.INT64, buf.array(), dims);
    }

    public static TensorProto int32s(String name, int[] data, long... dims) {
        checkCount(name, data.length, dims);
        ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asIntBuffer().put(data);
        return tensor(name, DataType.INT32, buf.array(), dims);
    }

    /** Signed 8-bit values. */
    public static TensorProto int8s(String name, byte[] data, long... dims) {
        checkCount(name, data.length, dims);
        return tensor(name, DataType.INT8, data.clone(), dims);
    }

    /** Unsigned 8-bit values (each byte read as 0..255). */
    public static TensorProto uint8s(String name, byte[] data, long... dims) {
        checkCount(name, data.length, dims);
        return tensor(name, DataType.UINT8, data.clone(), dims);
    }

    /**
     * Signed 4-bit values in [-8, 7], packed two per byte as ONNX requires: element 2j in the low nibble, 2j+1 in
     * the high nibble, an odd count padded with a zero nibble.
     */
    public static TensorProto int4s(String name, byte[] values, long... dims) {
        checkCount(name, values.length, dims);
        byte[] packed = new byte[(values.length + 1) / 2];
        for (int i = 0; i < values.length; i++) {
            int v = values[i];
            if (v < -8 || v > 7) {
                throw new GraphException("int4 tensor '" + name + "': value " + v + " at " + i + " outside [-8, 7]");
            }
            int nibble = v & 0x0F;
            packed[i / 2] |= (byte) ((i % 2 == 0) ? nibble : nibble << 4);
        }
        return tensor(name, DataType.INT4, packed, dims);
    }

    /** Raw bytes of an INT8/UINT8/INT4/UINT4 tensor as stored (INT4 packed). */
    public static byte[] rawBytes(TensorProto t) {
        requireInline(t);
        if (!t.getRawData().isEmpty()) {
            return t.getRawData().toByteArray();
        }
        // Typed storage of small integers is int32_data, one value per entry.
        byte[] out = new byte[t.getInt32DataCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) t.getInt32Data(i);
        }
        return out;
    }

    /** Bytes the tensor's payload takes on disk (what quantization shrinks). */
    public static long payloadBytes(TensorProto t) {
        if (!t.getRawData().isEmpty()) {
            return t.getRawData().size();
        }
        return (long) t.getFloatDataCount() * 4 + (long) t.getInt32DataCount() * 4 + (long) t.getInt64DataCount() * 8
                + (long) t.getDoubleDataCount() * 8;
    }

    public static String typeName(int dataType) {
        DataType dt = DataType.forNumber(dataType);
        return dt == null ? "type#" + dataType : dt.name();
    }

    private static TensorProto tensor(String name, DataType type, byte[] raw, long... dims) {
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
                .setRawData(ByteString.copyFrom(raw));
        for (long d : dims) {
            b.addDims(d);
        }
        return b.build();
    }

    private static void checkCount(String name, long count, long... dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        if (n != count) {
            throw new GraphException("tensor '" + name + "': " + count + " values do not fill shape " + Arrays.toString(dims));
        }
    }

    private static void requireInline(TensorProto t) {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            throw new GraphException("tensor '" + t.getName() + "' is stored in an external data file; "
                    + "load models with their weights inline (save without external data)");
        }
    }

    private static void requireBytes(TensorProto t, long expected) {
        if (t.getRawData().size() != expected) {
            throw new GraphException("tensor '" + t.getName() + "': raw_data has " + t.getRawData().size()
                    + " bytes, shape " + Arrays.toString(dims(t)) + " needs " + expected);
        }
    }

    private static void requireCount(TensorProto t, int have, int expected) {
        if (have != expected) {
            throw new GraphException("tensor '" + t.getName() + "': " + have + " values, shape "
                    + Arrays.toString(dims(t)) + " needs " + expected);
        }
    }
}
