package dev.qwm.onnx.runtime;

/** A model that ONNX Runtime cannot load or run, or whose inputs and outputs break the expected contract. */
public class OnnxRuntimeException extends RuntimeException {

    public OnnxRuntimeException(String message) {
        super(message);
    }

    public OnnxRuntimeException(String message, Throwable cause) {
        super(message, cause);
    }
}
