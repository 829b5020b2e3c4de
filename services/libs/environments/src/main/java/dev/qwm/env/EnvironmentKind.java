package dev.qwm.env;

/** The environments qwm simulates; names match the CLI's {@code --env} values. */
public enum EnvironmentKind {
    WALL,
    PUSHT;

    public String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
