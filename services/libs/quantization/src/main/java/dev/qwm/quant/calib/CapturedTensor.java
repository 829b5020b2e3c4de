package dev.qwm.quant.calib;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import dev.qwm.onnx.runtime.OrtRuntime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** A copy of a tensor's bytes (native order) with its shape and type, to feed ONNX Runtime again later. */
public record CapturedTensor(OnnxJavaType type, long[] shape, byte[] data) {

    public static CapturedTensor of(OnnxTensor t) {
        ByteBuffer b = t.getByteBuffer();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return new CapturedTensor(t.getInfo().type, t.getInfo().getShape(), bytes);
    }

    /** Batch item {@code index} (axis 0), keeping a leading dimension of 1. */
    public static CapturedTensor item(OnnxTensor t, int index) {
        long[] shape = t.getInfo().getShape();
        ByteBuffer b = t.getByteBuffer();
        int itemBytes = b.remaining() / (int) shape[0];
        byte[] bytes = new byte[itemBytes];
        b.position(index * itemBytes);
        b.get(bytes);
        long[] s = shape.clone();
        s[0] = 1;
        return new CapturedTensor(t.getInfo().type, s, bytes);
    }

    public static CapturedTensor floats(float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.nativeOrder());
        b.asFloatBuffer().put(values);
        return new CapturedTensor(OnnxJavaType.FLOAT, shape.clone(), b.array());
    }

    public float[] floats() {
        if (type != OnnxJavaType.FLOAT) {
            throw new IllegalStateException("tensor is " + type + ", not float");
        }
        float[] f = new float[data.length / 4];
        ByteBuffer.wrap(data).order(ByteOrder.nativeOrder()).asFloatBuffer().get(f);
        return f;
    }

    public OnnxTensor toOnnx() {
        try {
            ByteBuffer b = ByteBuffer.allocateDirect(data.length).order(ByteOrder.nativeOrder());
            b.put(data).flip();
            return OnnxTensor.createTensor(OrtRuntime.environment(), b, shape, type);
        } catch (OrtException e) {
            throw new IllegalStateException("cannot rebuild captured tensor " + Arrays.toString(shape), e);
        }
    }
}
