package dev.qwm.encoder.mapping;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.qwm.api.common.v1.DataType;
import dev.qwm.api.common.v1.Tensor;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class EncoderTensorsTest {

    static Tensor images(DataType type, List<Long> shape, int bytes) {
        return Tensor.newBuilder().setDataType(type).addAllShape(shape).setData(ByteString.copyFrom(new byte[bytes])).build();
    }

    @Test
    void wellFormedImagesGiveTheirBatch() {
        assertEquals(2, EncoderTensors.batchOf(images(DataType.DATA_TYPE_UINT8, List.of(2L, 64L, 64L, 3L), 2 * 64 * 64 * 3), 8));
        EncoderTensors.requireSize(images(DataType.DATA_TYPE_UINT8, List.of(1L, 64L, 64L, 3L), 64 * 64 * 3), 64, "wall");
    }

    @Test
    void malformedImagesAreRefusedByName() {
        assertRefused("images must be a uint8 tensor [batch, height, width, 3], got DATA_TYPE_FLOAT32",
                images(DataType.DATA_TYPE_FLOAT32, List.of(1L, 64L, 64L, 3L), 64 * 64 * 3 * 4), 8);
        assertRefused("images must be a uint8 tensor [batch, height, width, 3]",
                images(DataType.DATA_TYPE_UINT8, List.of(1L, 64L, 64L), 64 * 64), 8);
        assertRefused("batch of 9 images; this service accepts 1..8",
                images(DataType.DATA_TYPE_UINT8, List.of(9L, 2L, 2L, 3L), 9 * 12), 8);
        assertRefused("batch of 0 images", images(DataType.DATA_TYPE_UINT8, List.of(0L, 2L, 2L, 3L), 0), 8);
        assertRefused("need 24 bytes, got 23", images(DataType.DATA_TYPE_UINT8, List.of(2L, 2L, 2L, 3L), 23), 8);
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> EncoderTensors.requireSize(
                images(DataType.DATA_TYPE_UINT8, List.of(1L, 32L, 32L, 3L), 32 * 32 * 3), 64, "qwm-wall-small"));
        assertEquals("encoder qwm-wall-small reads 64x64 images, got 32x32", size.getMessage());
    }

    @Test
    void latentsAreLittleEndianFloat32InTheirShape() {
        float[] values = {1.5f, -2f, 0.25f, 3f, 4f, 5f};
        Tensor t = EncoderTensors.latents(values, 1, 2, 3);
        assertEquals(List.of(1L, 2L, 3L), t.getShapeList());
        assertEquals(DataType.DATA_TYPE_FLOAT32, t.getDataType());
        float[] back = new float[values.length];
        t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(back);
        assertArrayEquals(values, back);
        assertThrows(IllegalStateException.class, () -> EncoderTensors.latents(values, 2, 2, 3));
    }

    private static void assertRefused(String expected, Tensor images, int maxBatch) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EncoderTensors.batchOf(images, maxBatch));
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }
}
