package dev.qwm.env.registry;

import dev.qwm.env.Environment;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.FrameStyle;
import dev.qwm.env.pusht.PushTEnvironment;
import dev.qwm.env.wall.WallEnvironment;
import dev.qwm.env.wall.WallLayout;

/**
 * The environment of each {@link EnvironmentKind}. Kept apart from the kind itself, which the environments name
 * ({@code kind()}): the kind creating them would tie {@code dev.qwm.env} and each environment's package in a cycle.
 */
public final class Environments {

    private Environments() {
    }

    /**
     * A fresh environment of {@code kind} in its default (DINO-WM) configuration, drawing frames in {@code style}:
     * planning and evaluation pass the style of the model's bundle, so that it sees the frames it was trained on.
     */
    public static Environment create(EnvironmentKind kind, FrameStyle style) {
        return switch (kind) {
            case WALL -> new WallEnvironment(WallLayout.DEFAULT, style);
            case PUSHT -> new PushTEnvironment(style);
        };
    }
}
