package dev.qwm.quant.testing;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.qwm.onnx.kernel.KernelChoice;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.SessionConfig;

import java.nio.FloatBuffer;
import java.util.Map;

/**
 * Runs a model on one float input in ONNX Runtime (one thread) and returns its first output: as qwm's loaders run it
 * ({@link KernelChoice#openExact}: int8 weights stored u8×s8 run u8×u8 where u8×s8 is not exact on this CPU), or
 * exactly as stored ({@link #runAsStored}).
 */
public final class Ort {

    private Ort() {
    }

    public static float[] run(ModelProto model, String input, float[] x, long... shape) {
        return run(KernelChoice.openExact(model, "test model", SessionConfig.singleThreaded()), input, x, shape);
    }

    public static float[] runAsStored(ModelProto model, String input, float[] x, long... shape) {
        return run(OrtRuntime.open(model.toByteArray(), "test model (as stored)", SessionConfig.singleThreaded()), input, x, shape);
    }

    private static float[] run(OnnxSession session, String input, float[] x, long... shape) {
        try (OnnxSession s = session;
             OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(), FloatBuffer.wrap(x), shape);
             OrtSession.Result r = s.run(Map.of(input, t))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] out = new float[fb.remaining()];
            fb.get(out);
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
