package dev.qwm.env.dataset;

/** The two parts of a dataset: training data and the held-out validation trajectories (evaluation goals). */
public enum Split {
    TRAIN("train"),
    VALIDATION("validation");

    private final String id;

    Split(String id) {
        this.id = id;
    }

    /** The name used in {@code dataset.json} and in the split's file name. */
    public String id() {
        return id;
    }

    public String fileName() {
        return id + ".qwmd";
    }

    public static Split parse(String name) {
        for (Split s : values()) {
            if (s.id.equalsIgnoreCase(name) || (s == VALIDATION && "val".equalsIgnoreCase(name))) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown split '" + name + "' (expected train or validation)");
    }
}
