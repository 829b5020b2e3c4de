package dev.qwm.encoder.mapping;

import com.google.protobuf.UnsafeByteOperations;
import dev.qwm.api.common.v1.DataType;
import dev.qwm.api.common.v1.RunEnvironment;
import dev.qwm.api.common.v1.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The Encode call's tensors: images checked on the way in, latents built on the way out (little-endian float32). */
public final class EncoderTensors {

    private EncoderTensors() {
    }

    /** Where the latents were computed, as the wire carries it. */
    public static RunEnvironment ranOn(dev.qwm.onnx.runtime.RunEnvironment env) {
        return RunEnvironment.newBuilder().setCpuModel(env.cpu()).setCpuClass(env.cpuClass())
                .setCpuFeatures(env.cpuFeatures()).setOnnxRuntime(env.onnxRuntime())
                .setExecutionProvider(env.executionProvider()).setThreads(env.threads()).build();
    }

    /**
     * The batch size of {@code images}, a uint8 tensor [batch, height, width, 3] of 1..{@code maxBatch} images.
     *
     * @throws IllegalArgumentException naming what is wrong with it
     */
    public static int batchOf(Tensor images, int maxBatch) {
        if (images.getDataType() != DataType.DATA_TYPE_UINT8 || images.getShapeCount() != 4 || images.getShape(3) != 3) {
            throw new IllegalArgumentException("images must be a uint8 tensor [batch, height, width, 3], got "
                    + images.getDataType() + " " + images.getShapeList());
        }
        long batch = images.getShape(0);
        if (batch < 1 || batch > maxBatch) {
            throw new IllegalArgumentException("batch of " + batch + " images; this service accepts 1.." + maxBatch);
        }
        long expected = batch * images.getShape(1) * images.getShape(2) * 3;
        if (images.getShape(1) < 1 || images.getShape(2) < 1 || images.getData().size() != expected) {
            throw new IllegalArgumentException("images " + images.getShapeList() + " need " + expected + " bytes, got "
                    + images.getData().size());
        }
        return (int) batch;
    }

    /** Checks that {@code images} are {@code imageSize} square, as the encoder {@code label} reads them. */
    public static void requireSize(Tensor images, int imageSize, String label) {
        if (images.getShape(1) != imageSize || images.getShape(2) != imageSize) {
            throw new IllegalArgumentException("encoder " + label + " reads " + imageSize + "x" + imageSize
                    + " images, got " + images.getShape(1) + "x" + images.getShape(2));
        }
    }

    /** {@code latents} as a float32 tensor [batch, patches, dim]. */
    public static Tensor latents(float[] latents, int batch, int patches, int dim) {
        if (latents.length != (long) batch * patches * dim) {
            throw new IllegalStateException(latents.length + " latents are not " + batch + " x " + patches + " x " + dim);
        }
        ByteBuffer bytes = ByteBuffer.allocate(latents.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(latents);
        return Tensor.newBuilder().addShape(batch).addShape(patches).addShape(dim)
                .setDataType(DataType.DATA_TYPE_FLOAT32)
                .setData(UnsafeByteOperations.unsafeWrap(bytes.array()))
                .build();
    }
}
