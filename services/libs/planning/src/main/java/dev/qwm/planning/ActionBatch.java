package dev.qwm.planning;

/**
 * A batch of candidate action sequences in the normalised macro-action space, row-major
 * {@code [batch][horizon][actionDim]}, as the world model consumes them.
 */
public record ActionBatch(int batch, int horizon, int actionDim, float[] data) {

    public ActionBatch {
        if (batch < 1 || horizon < 1 || actionDim < 1) {
            throw new IllegalArgumentException("batch, horizon and actionDim must be >= 1, got "
                    + batch + ", " + horizon + ", " + actionDim);
        }
        if (data.length != batch * horizon * actionDim) {
            throw new IllegalArgumentException("action data has " + data.length + " values, expected "
                    + batch + " x " + horizon + " x " + actionDim);
        }
    }

    public static ActionBatch single(int horizon, int actionDim, float[] sequence) {
        return new ActionBatch(1, horizon, actionDim, sequence);
    }

    /** Offset of candidate {@code b}, step {@code t} in {@link #data()}. */
    public int offset(int b, int t) {
        return (b * horizon + t) * actionDim;
    }

    /** A copy of one candidate as a batch of one. */
    public ActionBatch candidate(int b) {
        float[] seq = new float[horizon * actionDim];
        System.arraycopy(data, offset(b, 0), seq, 0, seq.length);
        return single(horizon, actionDim, seq);
    }
}
