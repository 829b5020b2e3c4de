package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

/** Builders of {@link ValueInfoProto}s for graph inputs and outputs. */
public final class ValueInfos {

    private ValueInfos() {
    }

    /** A tensor of element type {@code dataType}; dims are numbers (fixed) or strings (symbolic). */
    public static ValueInfoProto tensor(String name, int dataType, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof Number n) {
                dim.setDimValue(n.longValue());
            } else {
                dim.setDimParam(String.valueOf(d));
            }
            shape.addDim(dim);
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(dataType).setShape(shape)))
                .build();
    }

    /** A tensor of element type {@code dataType} and unknown shape (ONNX Runtime infers it). */
    public static ValueInfoProto tensorOfUnknownShape(String name, int dataType) {
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(dataType)))
                .build();
    }
}
