package dev.qwm.env;

/** The environments qwm simulates; names match the CLI's {@code --env} values. */
public enum EnvironmentKind {
    WALL,
    PUSHT;

    public String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** A fresh environment of this kind in its default (DINO-WM) configuration. */
    public Environment create() {
        return switch (this) {
            case WALL -> new dev.qwm.env.wall.WallEnvironment();
            case PUSHT -> new dev.qwm.env.pusht.PushTEnvironment();
        };
    }

    /** The kind named {@code name} ("wall" or "pusht", any case). */
    public static EnvironmentKind parse(String name) {
        for (EnvironmentKind k : values()) {
            if (k.cliName().equalsIgnoreCase(name == null ? "" : name.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown environment '" + name + "' (expected wall or pusht)");
    }
}
