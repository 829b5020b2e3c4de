package dev.qwm.onnx.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process-wide ONNX Runtime entry: the one {@link OrtEnvironment} of the JVM (ORT allows at most one; its
 * close is a no-op and a shutdown hook releases it) and session creation with thread settings from a
 * {@link SessionConfig}.
 */
public final class OrtRuntime {

    private OrtRuntime() {
    }

    public static OrtEnvironment environment() {
        try {
            return Holder.ENV;
        } catch (UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError e) {
            // ORT extracts its native library (about 30 MiB) into the temp folder before it loads it
            Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
            throw new OnnxRuntimeException("ONNX Runtime's native library cannot be loaded (" + e
                    + "); it is first extracted into the temp folder " + tmp + WriteRoom.explain(tmp), e);
        }
    }

    /** Opens the model file as a session; close the returned session when done. */
    public static OnnxSession open(Path model, SessionConfig config) {
        if (!Files.isRegularFile(model)) {
            throw new OnnxRuntimeException("ONNX model " + model + " does not exist");
        }
        try (SessionOptions options = options(config)) {
            return new OnnxSession(model.toString(), environment().createSession(model.toString(), options));
        } catch (OrtException e) {
            throw new OnnxRuntimeException("ONNX Runtime cannot load " + model + ": " + e.getMessage(), e);
        }
    }

    /** Opens an in-memory model (e.g. one just built with OnnxMl); {@code label} names it in errors. */
    public static OnnxSession open(byte[] model, String label, SessionConfig config) {
        try (SessionOptions options = options(config)) {
            return new OnnxSession(label, environment().createSession(model, options));
        } catch (OrtException e) {
            throw new OnnxRuntimeException("ONNX Runtime cannot load " + label + ": " + e.getMessage(), e);
        }
    }

    /**
     * As {@link #open(byte[], String, SessionConfig)}, for a session whose calls change shape from call to call
     * (calibration: every history length and chunk of candidates): without ORT's memory pattern, which plans one
     * block per input shape and holds it beside the arena's own buffers. Only where memory goes changes, never what
     * the model computes; on DINO-WM's full-size predictor with calibration outputs it halves a call's peak.
     */
    public static OnnxSession openVaryingShapes(byte[] model, String label, SessionConfig config) {
        try (SessionOptions options = options(config)) {
            options.setMemoryPatternOptimization(false);
            return new OnnxSession(label, environment().createSession(model, options));
        } catch (OrtException e) {
            throw new OnnxRuntimeException("ONNX Runtime cannot load " + label + ": " + e.getMessage(), e);
        }
    }

    /** A direct, native-order float buffer that ORT tensors can wrap without copying. */
    public static FloatBuffer directFloats(int count) {
        return ByteBuffer.allocateDirect(Math.multiplyExact(count, Float.BYTES)).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
    }

    /** A direct byte buffer (for uint8 image tensors). */
    public static ByteBuffer directBytes(int count) {
        return ByteBuffer.allocateDirect(count).order(ByteOrder.nativeOrder());
    }

    static SessionOptions options(SessionConfig config) throws OrtException {
        environment(); // loads the native library, or says why it cannot
        SessionOptions options = new SessionOptions();
        try {
            options.setIntraOpNumThreads(config.intraOpThreads());
            options.setInterOpNumThreads(config.interOpThreads());
            options.setExecutionMode(config.interOpThreads() > 1 ? ExecutionMode.PARALLEL : ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(config.optimization());
            options.addConfigEntry("session.intra_op.allow_spinning", config.allowSpinning() ? "1" : "0");
            options.addConfigEntry("session.inter_op.allow_spinning", config.allowSpinning() ? "1" : "0");
            if (config.profilePrefix() != null) {
                options.enableProfiling(config.profilePrefix().toString());
            }
            if (config.provider() == ExecutionProvider.CUDA) {
                try {
                    options.addCUDA(0);
                } catch (OrtException e) {
                    throw new IllegalStateException("execution provider cuda is not available here: it needs ONNX "
                            + "Runtime's GPU build (com.microsoft.onnxruntime:onnxruntime_gpu, the -gpu images) and a "
                            + "CUDA device (" + e.getMessage() + ")", e);
                }
            }
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    private static final class Holder {
        // Created on first use, so that merely loading this class does not extract ORT's native library.
        static final OrtEnvironment ENV =
                OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, "qwm");
    }
}
