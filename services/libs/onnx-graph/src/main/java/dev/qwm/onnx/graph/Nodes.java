package dev.qwm.onnx.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/** Builders and readers for {@link NodeProto}s and their attributes. */
public final class Nodes {

    private Nodes() {
    }

    /** A node in the default domain. An empty input name means "optional input omitted". */
    public static NodeProto node(String opType, String name, List<String> inputs, List<String> outputs,
                                 AttributeProto... attributes) {
        return node(OnnxModels.DEFAULT_DOMAIN, opType, name, inputs, outputs, attributes);
    }

    public static NodeProto node(String domain, String opType, String name, List<String> inputs, List<String> outputs,
                                 AttributeProto... attributes) {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(opType).setName(name)
                .addAllInput(inputs).addAllOutput(outputs);
        if (!domain.isEmpty()) {
            b.setDomain(domain);
        }
        for (AttributeProto a : attributes) {
            b.addAttribute(a);
        }
        return b.build();
    }

    public static AttributeProto intAttr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.INT).setI(value).build();
    }

    public static AttributeProto floatAttr(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOAT).setF(value).build();
    }

    public static AttributeProto intsAttr(String name, long... values) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
        for (long v : values) {
            b.addInts(v);
        }
        return b.build();
    }

    public static AttributeProto stringAttr(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.STRING)
                .setS(ByteString.copyFrom(value, StandardCharsets.UTF_8)).build();
    }

    public static AttributeProto tensorAttr(String name, TensorProto value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.TENSOR).setT(value).build();
    }

    public static Optional<AttributeProto> attribute(NodeProto node, String name) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    public static long intAttribute(NodeProto node, String name, long defaultValue) {
        return attribute(node, name).map(AttributeProto::getI).orElse(defaultValue);
    }

    public static float floatAttribute(NodeProto node, String name, float defaultValue) {
        return attribute(node, name).map(AttributeProto::getF).orElse(defaultValue);
    }

    /** The node's i-th input, or "" when it has fewer inputs (an omitted optional input). */
    public static String input(NodeProto node, int i) {
        return i < node.getInputCount() ? node.getInput(i) : "";
    }

    /** A short description for error messages. */
    public static String describe(NodeProto node) {
        return node.getOpType() + " '" + node.getName() + "'";
    }
}
