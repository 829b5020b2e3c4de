package dev.qwm.planning.cem;

/** Told after every CEM step, e.g. to execute the current mean plan in the simulator and publish progress. */
@FunctionalInterface
public interface CemStepObserver {

    CemStepObserver NONE = step -> { };

    void onCemStep(CemStep step);
}
