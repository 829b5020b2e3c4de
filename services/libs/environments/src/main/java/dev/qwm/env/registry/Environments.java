package dev.qwm.env.registry;

import dev.qwm.env.Environment;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.pusht.PushTEnvironment;
import dev.qwm.env.wall.WallEnvironment;

/**
 * The environment of each {@link EnvironmentKind}. Kept apart from the kind itself, which the environments name
 * ({@code kind()}): the kind creating them would tie {@code dev.qwm.env} and each environment's package in a cycle.
 */
public final class Environments {

    private Environments() {
    }

    /** A fresh environment of {@code kind} in its default (DINO-WM) configuration. */
    public static Environment create(EnvironmentKind kind) {
        return switch (kind) {
            case WALL -> new WallEnvironment();
            case PUSHT -> new PushTEnvironment();
        };
    }
}
