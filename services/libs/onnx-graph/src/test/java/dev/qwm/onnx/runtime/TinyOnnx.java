package dev.qwm.onnx.runtime;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Tiny ONNX graphs built with the OnnxMl protobuf classes, as ORT Java's own tests do. */
public final class TinyOnnx {

    private TinyOnnx() {
    }

    /** {@code y = x + bias}, x float [batch, n] with a dynamic batch dimension. */
    public static byte[] addBias(float[] bias) {
        OnnxMl.GraphProto graph = OnnxMl.GraphProto.newBuilder()
                .setName("add_bias")
                .addInput(floatInput("x", "batch", bias.length))
                .addOutput(floatInput("y", "batch", bias.length))
                .addInitializer(floatTensor("bias", new long[] {bias.length}, bias))
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Add").addInput("x").addInput("bias").addOutput("y"))
                .build();
        return model(graph).toByteArray();
    }

    static OnnxMl.ModelProto model(OnnxMl.GraphProto graph) {
        return OnnxMl.ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("qwm-test")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .setGraph(graph)
                .build();
    }

    static OnnxMl.ValueInfoProto floatInput(String name, String batchParam, long n) {
        OnnxMl.TensorShapeProto shape = OnnxMl.TensorShapeProto.newBuilder()
                .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam(batchParam))
                .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(n))
                .build();
        return OnnxMl.ValueInfoProto.newBuilder().setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                        .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setShape(shape)))
                .build();
    }

    static OnnxMl.TensorProto floatTensor(String name, long[] dims, float[] values) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            raw.putFloat(v);
        }
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name)
                .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                .setRawData(ByteString.copyFrom(raw.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }
}
