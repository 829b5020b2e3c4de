package dev.qwm.planner.client;

import com.google.protobuf.UnsafeByteOperations;
import dev.qwm.api.common.v1.DataType;
import dev.qwm.api.common.v1.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/** Java arrays to and from {@code qwm.common.v1.Tensor} (little-endian, row-major). */
final class RolloutTensors {

    private RolloutTensors() {
    }

    static Tensor floats(float[] data, long... shape) {
        ByteBuffer bytes = ByteBuffer.allocate(data.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(data);
        return Tensor.newBuilder().addAllShape(box(shape)).setDataType(DataType.DATA_TYPE_FLOAT32)
                .setData(UnsafeByteOperations.unsafeWrap(bytes.array())).build();
    }

    static Tensor floats(double[] data, long... shape) {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) data[i];
        }
        return floats(f, shape);
    }

    static Tensor bytes(byte[] data, long... shape) {
        return Tensor.newBuilder().addAllShape(box(shape)).setDataType(DataType.DATA_TYPE_UINT8)
                .setData(UnsafeByteOperations.unsafeWrap(data)).build();
    }

    static float[] toFloats(Tensor t) {
        if (t.getDataType() != DataType.DATA_TYPE_FLOAT32) {
            throw new IllegalStateException("expected a float32 tensor, got " + t.getDataType());
        }
        FloatBuffer fb = t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }

    private static java.util.List<Long> box(long[] shape) {
        java.util.List<Long> out = new java.util.ArrayList<>(shape.length);
        for (long s : shape) {
            out.add(s);
        }
        return out;
    }
}
