package dev.qwm.quant.core;

import dev.qwm.quant.recipe.ActivationSpec;

/**
 * The plain-Java reference of a quantized linear layer: the input quantized and dequantized as the recipe says
 * (per tensor with calibrated parameters, per token, or per row and MatMulNBits block as accuracy_level 4 does),
 * times the dequantized weights, plus the float bias. The emitted ONNX graphs are checked against this, and
 * per-layer errors are measured with it.
 */
public final class FakeQuantLinear {

    private FakeQuantLinear() {
    }

    /**
     * @param x    rows×in input
     * @param bias float bias [out] or null
     */
    public static float[] forward(float[] x, int rows, QuantizedWeights w, ActivationSpec activations,
                                  ActivationParams staticParams, float[] bias) {
        float[] xq = activations.inKernel() ? x.clone() : quantizeInput(x, w.in(), activations, staticParams);
        if (activations.inKernel()) {
            ActivationParams.fakeQuantPerBlockSymmetric(xq, w.in(), MatMulNBitsBlocks.blockOf(w));
        }
        float[] y = LinearAlgebra.linear(xq, rows, w.in(), w.dequantize(), w.out());
        addBias(y, bias, w.out());
        return y;
    }

    public static float[] quantizeInput(float[] x, int width, ActivationSpec activations, ActivationParams staticParams) {
        if (activations.isFloat()) {
            return x;
        }
        float[] xq = x.clone();
        if (activations.granularity() == ActivationSpec.Granularity.TENSOR) {
            staticParams.fakeQuant(xq);
        } else if (activations.inKernel()) {
            throw new IllegalArgumentException("activations quantized inside the kernel depend on its weight blocks: "
                    + "use forward()");
        } else {
            ActivationParams.fakeQuantPerToken(xq, width, activations.bits());
        }
        return xq;
    }

    public static void addBias(float[] y, float[] bias, int out) {
        if (bias == null) {
            return;
        }
        for (int i = 0; i < y.length; i++) {
            y[i] += bias[i % out];
        }
    }
}
