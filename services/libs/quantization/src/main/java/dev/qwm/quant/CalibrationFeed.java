package dev.qwm.quant;

import dev.qwm.quant.calib.ActivationCollector;

/**
 * Supplies calibration data: runs the float model through the collector on the calibration inputs (e.g. every
 * predictor call of FP planning episodes, or recorded inputs), via {@link ActivationCollector#run}/{@code observe}.
 */
@FunctionalInterface
public interface CalibrationFeed {
    void feed(ActivationCollector collector) throws Exception;
}
