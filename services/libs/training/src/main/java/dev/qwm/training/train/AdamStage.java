package dev.qwm.training.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A stage that takes one Adam update per step: the step's losses under a gradient collector, backward from the
 * first, its metrics, then the update; every array the step makes is closed with the step's scope.
 */
abstract class AdamStage implements TrainLoop.Stage {

    /** Where the step's arrays are made. */
    abstract NDManager manager();

    abstract Adam adam();

    /** The losses of step {@code step} (its batch through the trained parts), the one to minimise first. */
    abstract NDArray[] losses(long step, ParameterStore ps);

    /** What the log and the curve show of a step (after "loss", before "gnorm"), read after the backward pass. */
    abstract void metrics(NDArray[] losses, Map<String, Double> m);

    /** The update at {@code lr}; returns the gradient norm. Adam skips (and zeroes) a non-finite gradient. */
    double update(float lr) {
        return adam().step(lr);
    }

    @Override
    public final Map<String, Double> step(long step, float lr) {
        Map<String, Double> m = new LinkedHashMap<>();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            ParameterStore ps = new ParameterStore(manager(), false);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray[] losses = losses(step, ps);
                gc.backward(losses[0]);
                m.put("loss", (double) losses[0].getFloat());
                metrics(losses, m);
            }
            m.put("gnorm", update(lr));
        }
        return m;
    }

    @Override
    public final void dryStep(long step) {
        // A whole step at learning rate 0 (so it costs what a real one does, update included), then the optimiser
        // forgets it: the weights are untouched and the run starts exactly as without timing.
        step(step, 0f);
        adam().reset();
    }
}
