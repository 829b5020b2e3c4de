package dev.qwm.analysis.sensitivity;

/**
 * The output error of one linear layer quantized alone (its float input, its quantized weights): mean squared error
 * and SQNR of its output against the float layer on calibration rows, as the quantizer's manifest reports per layer.
 *
 * @param module      {@code encoder} or {@code predictor}
 * @param layer       the layer's node name (what a recipe's layer rule matches)
 * @param groupSize   0 = per output channel
 * @param activations the layer's activation format in the manifest's words ({@code A16} = float, {@code A8-tensor})
 * @param weightBytes bytes of the layer's quantized weight tensors (codes, scales), or −1 when not reported
 */
public record LayerSensitivity(String module, String layer, int inFeatures, int outFeatures, String method,
                               int weightBits, int groupSize, String activations, double outputMse, double outputSqnrDb,
                               long weightBytes) {

    public LayerSensitivity {
        if (module == null || module.isBlank() || layer == null || layer.isBlank()) {
            throw new IllegalArgumentException("a layer measurement needs its module and layer name");
        }
        if (inFeatures < 1 || outFeatures < 1) {
            throw new IllegalArgumentException(layer + ": features must be positive, got " + inFeatures + "×" + outFeatures);
        }
        activations = activations == null || activations.isBlank() ? "A16" : activations;
        if (weightBits < 1 || weightBits > 16) {
            throw new IllegalArgumentException(layer + ": weight bits must lie in 1..16, got " + weightBits);
        }
    }

    /** Noise-to-signal power of the output, 10^(−SQNR/10): additive across layers to first order. */
    public double relativeNoise() {
        if (Double.isNaN(outputSqnrDb)) {
            return Double.NaN;
        }
        return Double.isInfinite(outputSqnrDb) ? 0 : Math.pow(10, -outputSqnrDb / 10);
    }

    /** Activations stay in floating point: the weights alone were quantized. */
    public boolean weightOnly() {
        return activations.startsWith("A16") || activations.startsWith("A32");
    }

    public String weightFormat() {
        return "W" + weightBits + (groupSize == 0 ? "" : "-g" + groupSize);
    }
}
