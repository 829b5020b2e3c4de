package dev.qwm.quant.recipe;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * Settings of each method; any left out take the defaults below (which follow QuantWM where it has the method,
 * docs/reference/quantwm.md, and the original papers otherwise).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MethodOptions(Omse omse, SmoothQuant smoothquant, Awq awq, OmniQuant omniquant, Gptq gptq) {

    public static final MethodOptions DEFAULTS = new MethodOptions(null, null, null, null, null);

    public MethodOptions {
        omse = omse == null ? new Omse(null, null) : omse;
        smoothquant = smoothquant == null ? new SmoothQuant(null, null) : smoothquant;
        awq = awq == null ? new Awq(null, null, null, null) : awq;
        omniquant = omniquant == null ? new OmniQuant(null, null, null, null, null) : omniquant;
        gptq = gptq == null ? new Gptq(null, null, null) : gptq;
    }

    /** OMSE: {@code ratios} clipping ratios evenly spaced in [minRatio, 1] (QuantWM: 101 in [0.35, 1]). */
    public record Omse(Integer ratios, Double minRatio) {
        public Omse {
            ratios = ratios == null ? 101 : ratios;
            minRatio = minRatio == null ? 0.35 : minRatio;
        }
    }

    /**
     * SmoothQuant: migration strength α (QuantWM: 0.5) and the weight quantizer applied after smoothing
     * (RTN as in QuantWM, or OMSE / GPTQ).
     */
    public record SmoothQuant(Double alpha, QuantMethod weights) {
        public SmoothQuant {
            alpha = alpha == null ? 0.5 : alpha;
            weights = weights == null ? QuantMethod.RTN : weights;
        }
    }

    /**
     * AWQ: α grid of {@code scaleGrid} points in [0, 1) for s = mean|x|^α; {@code clipSteps} clip levels
     * max|W|·(1 − i·clipStep), i = 0..clipSteps−1 (QuantWM: 10 levels, step 1/20); {@code sampleTokens} rows used.
     */
    public record Awq(Integer scaleGrid, Integer clipSteps, Double clipStep, Integer sampleTokens) {
        public Awq {
            scaleGrid = scaleGrid == null ? 20 : scaleGrid;
            clipSteps = clipSteps == null ? 10 : clipSteps;
            clipStep = clipStep == null ? 0.05 : clipStep;
            sampleTokens = sampleTokens == null ? 512 : sampleTokens;
        }
    }

    /**
     * OmniQuant, optimised without gradients: each epoch alternates a search of the equivalent transform (smoothing
     * exponent α on an {@code alphaGrid}-point grid, refined around the best, and the channel shift on/off) on the
     * block output MSE, and a per channel/group weight-clipping search ({@code clipGrid} levels in [minClip, 1]) on the
     * layer output error. {@code epochs} > 0 by default (QuantWM's default of 0 optimised nothing).
     */
    public record OmniQuant(Integer epochs, Integer alphaGrid, Integer clipGrid, Double minClip, Boolean shift) {
        public OmniQuant {
            epochs = epochs == null ? 2 : epochs;
            alphaGrid = alphaGrid == null ? 11 : alphaGrid;
            clipGrid = clipGrid == null ? 20 : clipGrid;
            minClip = minClip == null ? 0.5 : minClip;
            shift = shift == null ? Boolean.TRUE : shift;
        }
    }

    /** GPTQ: damping as a fraction of the mean Hessian diagonal, columns per lazy-update block, activation order. */
    public record Gptq(Double damp, Integer blockSize, Boolean actOrder) {
        public Gptq {
            damp = damp == null ? 0.01 : damp;
            blockSize = blockSize == null ? 128 : blockSize;
            actOrder = actOrder == null ? Boolean.FALSE : actOrder;
        }
    }

    void validate(String where, List<String> problems) {
        if (omse.ratios() < 1) {
            problems.add(where + ": omse.ratios must be at least 1, got " + omse.ratios());
        }
        if (!(omse.minRatio() > 0 && omse.minRatio() <= 1)) {
            problems.add(where + ": omse.minRatio must be in (0, 1], got " + omse.minRatio());
        }
        if (!(smoothquant.alpha() >= 0 && smoothquant.alpha() <= 1)) {
            problems.add(where + ": smoothquant.alpha must be in [0, 1], got " + smoothquant.alpha());
        }
        if (!List.of(QuantMethod.RTN, QuantMethod.OMSE, QuantMethod.GPTQ).contains(smoothquant.weights())) {
            problems.add(where + ": smoothquant.weights must be rtn, omse or gptq, got " + smoothquant.weights().id());
        }
        if (awq.scaleGrid() < 1 || awq.clipSteps() < 1 || awq.sampleTokens() < 1) {
            problems.add(where + ": awq.scaleGrid, awq.clipSteps and awq.sampleTokens must be at least 1");
        }
        if (!(awq.clipStep() >= 0 && awq.clipStep() * (awq.clipSteps() - 1) < 1)) {
            problems.add(where + ": awq.clipStep × (clipSteps − 1) must stay below 1, got clipStep " + awq.clipStep());
        }
        if (omniquant.epochs() < 0 || omniquant.alphaGrid() < 2 || omniquant.clipGrid() < 1) {
            problems.add(where + ": omniquant needs epochs >= 0, alphaGrid >= 2 and clipGrid >= 1");
        }
        if (!(omniquant.minClip() > 0 && omniquant.minClip() <= 1)) {
            problems.add(where + ": omniquant.minClip must be in (0, 1], got " + omniquant.minClip());
        }
        if (!(gptq.damp() > 0 && gptq.damp() < 1)) {
            problems.add(where + ": gptq.damp must be in (0, 1), got " + gptq.damp());
        }
        if (gptq.blockSize() < 1) {
            problems.add(where + ": gptq.blockSize must be at least 1, got " + gptq.blockSize());
        }
    }
}
