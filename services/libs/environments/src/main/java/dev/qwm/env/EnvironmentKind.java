package dev.qwm.env;

/** The environments qwm simulates; names match the CLI's {@code --env} values. */
public enum EnvironmentKind {
    WALL,
    PUSHT;

    public String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Whether the goals of its planning episodes come from a dataset's trajectories (PushT's replayed segments) rather
     * than from the simulator alone (Wall's seeded random states).
     */
    public boolean goalsFromDataset() {
        return this == PUSHT;
    }

    /** The kind named {@code name} (its {@link #cliName()}, any case), if there is one. */
    public static java.util.Optional<EnvironmentKind> find(String name) {
        for (EnvironmentKind k : values()) {
            if (k.cliName().equalsIgnoreCase(name == null ? "" : name.trim())) {
                return java.util.Optional.of(k);
            }
        }
        return java.util.Optional.empty();
    }

    /** The kind named {@code name} (its {@link #cliName()}, any case). */
    public static EnvironmentKind parse(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException("unknown environment '" + name
                + "' (expected wall or pusht)"));
    }
}
