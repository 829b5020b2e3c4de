package dev.qwm.analysis.config;

/** Which modules of a configuration are quantized. */
public enum Scope {
    FULL_PRECISION("FP"),
    ENCODER("encoder only"),
    PREDICTOR("predictor only"),
    BOTH("both");

    private final String label;

    Scope(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
