package dev.qwm.training.train;

import dev.qwm.training.model.WorldModelConfig;

/**
 * FLOP count of planning with a model, for sizing against the cost budget (planning README: one FP32 CEM step of
 * 300 candidates x horizon 5 at most 8 GFLOP for Wall and 20 GFLOP for PushT). Matrix products only (2 FLOP per
 * multiply-accumulate); LayerNorm, softmax and GELU add a few percent.
 */
public final class CostModel {

    private CostModel() {
    }

    /**
     * One CEM step: every candidate is rolled out as DINO-WM's rollout does from one observed frame, so predictor
     * call k (0-based) sees min(k+1, numHist) frames; there are {@code horizon} calls. The start and goal are
     * encoded once per plan, not per step, and are not counted.
     */
    public static double cemStepGflop(WorldModelConfig c, int candidates, int horizon) {
        double macs = 0;
        for (int k = 0; k < horizon; k++) {
            macs += c.predictorMacs(Math.min(k + 1, c.numHist()));
        }
        macs += (double) horizon * c.actionDim() * c.actionEmbDim();
        return 2 * macs * candidates / 1e9;
    }

    /** GFLOP of encoding one image. */
    public static double encoderGflop(WorldModelConfig c) {
        return 2.0 * c.encoderMacs() / 1e9;
    }
}
