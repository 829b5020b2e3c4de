package dev.qwm.quant.calib;

import java.util.List;
import java.util.Map;

/**
 * What calibration produced: statistics per observed tensor, sampled block inputs per block input tensor, how many
 * model runs fed it, and a fingerprint of the data (SHA-256 over input names, shapes and a strided sample of their
 * bytes), recorded in manifests so two quantizations can tell whether they saw the same calibration set.
 */
public record CalibrationData(Map<String, TensorStatistics> tensors, Map<String, List<BlockSnapshot>> snapshots,
                              Map<String, float[]> ranges, long batches, String fingerprint) {

    /** {min, max} over every element of a range tensor (attention's products' inputs) seen in calibration. */
    public float[] range(String name) {
        float[] r = ranges.get(name);
        if (r == null || !(r[0] <= r[1])) {
            throw new IllegalArgumentException("no calibration range for tensor '" + name + "'");
        }
        return r.clone();
    }

    public TensorStatistics tensor(String name) {
        TensorStatistics t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no calibration statistics for tensor '" + name + "'");
        }
        return t;
    }
}
