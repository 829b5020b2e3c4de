package dev.qwm.cli.options;

import dev.qwm.planning.onnx.PredictorCallBudget;
import picocli.CommandLine.Option;

/**
 * {@code --predictor-call-mib}: the attention-score memory one predictor call may hold; larger batches of candidates
 * are run in chunks, with the same outputs. It sets the JVM-wide budget ({@link PredictorCallBudget#PROPERTY}) that
 * every world model this command opens reads, the calibrating one included.
 */
public final class PredictorCallOption {

    @Option(names = "--predictor-call-mib", paramLabel = "MIB", description = "Attention scores one predictor call may "
            + "hold, in MiB; a larger batch of candidates runs in chunks with the same outputs (default "
            + PredictorCallBudget.DEFAULT_MIB + ", or -D" + PredictorCallBudget.PROPERTY + ", or $"
            + PredictorCallBudget.ENV + "; a call's peak memory is 5-7 times this).")
    Long mib;

    /** Makes the option the process's budget (a no-op when it is not given); fails on a budget below 1 MiB. */
    public void apply() {
        if (mib != null) {
            PredictorCallBudget.ofMiB(mib); // refuses a bad value by name before anything runs
            System.setProperty(PredictorCallBudget.PROPERTY, Long.toString(mib));
        }
    }
}
