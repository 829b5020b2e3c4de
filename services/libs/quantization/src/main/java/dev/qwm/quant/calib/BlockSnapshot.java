package dev.qwm.quant.calib;

import java.util.Map;

/** One calibration sample of a block: its input tensors for one batch item (whole sequence), by name. */
public record BlockSnapshot(Map<String, CapturedTensor> inputs) {
}
