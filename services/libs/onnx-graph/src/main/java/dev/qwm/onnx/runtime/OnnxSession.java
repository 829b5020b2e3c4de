package dev.qwm.onnx.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * One ONNX Runtime session with the name of its model for error messages. ORT sessions may be shared by threads
 * calling {@link #run}; closing releases the native memory.
 */
public final class OnnxSession implements AutoCloseable {

    private final String label;
    private final OrtSession session;

    OnnxSession(String label, OrtSession session) {
        this.label = label;
        this.session = session;
    }

    public String label() {
        return label;
    }

    public OrtSession session() {
        return session;
    }

    public Set<String> inputNames() {
        return new LinkedHashSet<>(session.getInputNames());
    }

    public Set<String> outputNames() {
        return new LinkedHashSet<>(session.getOutputNames());
    }

    /** The declared shape of an input (-1 for dynamic dimensions). */
    public long[] inputShape(String input) {
        return shape(input, true);
    }

    public long[] outputShape(String output) {
        return shape(output, false);
    }

    /** Fails with a message naming the model when the named inputs and outputs are not exactly what it has. */
    public OnnxSession requireSignature(Set<String> inputs, Set<String> outputs) {
        if (!session.getInputNames().equals(inputs) || !session.getOutputNames().containsAll(outputs)) {
            throw new OnnxRuntimeException(label + ": expected inputs " + inputs + " and outputs " + outputs
                    + ", the model has inputs " + session.getInputNames() + " and outputs "
                    + session.getOutputNames());
        }
        return this;
    }

    /**
     * Runs the model; the caller closes the result (and still owns the input tensors). Every run of a session goes
     * through {@link OrtRuns}, so that the JVM's exit waits until it has left ORT's native code.
     */
    public OrtSession.Result run(Map<String, OnnxTensor> inputs) {
        return OrtRuns.run(label, o -> session.run(inputs, o));
    }

    public OrtSession.Result run(Map<String, OnnxTensor> inputs, Set<String> outputs) {
        return OrtRuns.run(label, o -> session.run(inputs, outputs, o));
    }

    /** Runs the model writing the named outputs into the given tensors (pinned outputs: no copy, no allocation). */
    public OrtSession.Result runInto(Map<String, OnnxTensor> inputs, Map<String, OnnxTensor> outputs) {
        return OrtRuns.run(label, o -> session.run(inputs, java.util.Set.of(), outputs, o));
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new OnnxRuntimeException(label + ": cannot close session: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "OnnxSession[" + label + ", inputs " + session.getInputNames() + ", outputs "
                + session.getOutputNames() + "]";
    }

    private long[] shape(String name, boolean input) {
        try {
            Map<String, NodeInfo> infos = input ? session.getInputInfo() : session.getOutputInfo();
            NodeInfo info = infos.get(name);
            if (info == null) {
                throw new OnnxRuntimeException(label + " has no " + (input ? "input" : "output") + " '" + name
                        + "' (it has " + infos.keySet() + ")");
            }
            if (!(info.getInfo() instanceof TensorInfo t)) {
                throw new OnnxRuntimeException(label + ": '" + name + "' is not a tensor");
            }
            return Arrays.copyOf(t.getShape(), t.getShape().length);
        } catch (OrtException e) {
            throw new OnnxRuntimeException(label + ": cannot read I/O info: " + e.getMessage(), e);
        }
    }
}
