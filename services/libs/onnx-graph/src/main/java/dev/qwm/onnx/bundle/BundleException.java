package dev.qwm.onnx.bundle;

/** A model bundle that cannot be read, written or trusted; the message names the folder or file at fault. */
public class BundleException extends RuntimeException {

    public BundleException(String message) {
        super(message);
    }

    public BundleException(String message, Throwable cause) {
        super(message, cause);
    }
}
