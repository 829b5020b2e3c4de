package dev.qwm.onnx.graph;

/** A model that cannot be read, inspected or rewritten as asked; the message names the tensor or node at fault. */
public class GraphException extends RuntimeException {
    public GraphException(String message) {
        super(message);
    }

    public GraphException(String message, Throwable cause) {
        super(message, cause);
    }
}
