package dev.qwm.quant.transform;

/** An error to minimise over candidates of one layer group (mean squared error against the float model). */
public interface GroupObjective extends AutoCloseable {

    double error(GroupCandidate candidate);

    /** What the error is measured on, for reports. */
    String describe();

    @Override
    default void close() {
    }
}
