package dev.qwm.planning.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.runtime.OnnxRuntimeException;
import dev.qwm.onnx.runtime.OnnxSession;
import java.nio.FloatBuffer;
import java.util.Arrays;

/** Checks of ONNX signatures against model.json, and output extraction, shared by the bundle's components. */
final class Shapes {

    private Shapes() {
    }

    /** Fails when a declared dimension is fixed and differs from the manifest (-1 = not checked). */
    static void check(BundleManifest manifest, OnnxSession s, String name, boolean input, long... expected) {
        long[] actual = input ? s.inputShape(name) : s.outputShape(name);
        boolean ok = actual.length == expected.length;
        for (int i = 0; ok && i < expected.length; i++) {
            ok = expected[i] < 0 || actual[i] < 0 || actual[i] == expected[i];
        }
        if (!ok) {
            throw new OnnxRuntimeException("bundle " + manifest.name() + ": " + s.label() + " declares '" + name
                    + "' as " + Arrays.toString(actual) + " but model.json implies " + Arrays.toString(expected)
                    + " (-1 = any)");
        }
    }

    static float[] floats(OrtSession.Result r, String name, int expected, OnnxSession session) throws OrtException {
        OnnxTensor t = (OnnxTensor) r.get(name).orElseThrow(
                () -> new OnnxRuntimeException(session.label() + " returned no '" + name + "'"));
        FloatBuffer fb = t.getFloatBuffer();
        if (fb.remaining() != expected) {
            throw new OnnxRuntimeException(session.label() + ": '" + name + "' has " + fb.remaining()
                    + " values, expected " + expected + " (shape " + Arrays.toString(t.getInfo().getShape()) + ")");
        }
        float[] out = new float[expected];
        fb.get(out);
        return out;
    }
}
