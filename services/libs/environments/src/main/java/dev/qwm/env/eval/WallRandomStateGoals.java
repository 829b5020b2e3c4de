package dev.qwm.env.eval;

import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.wall.WallStartGoal;

/**
 * Wall's {@code goal_source: random_state}: {@link WallStartGoal#sample(long)}, bit-identical to DINO-WM's draws.
 * The layout is DINO-WM's fixed one on every split, so the split does not matter.
 */
public final class WallRandomStateGoals implements StartGoalSource {

    @Override
    public EnvironmentKind kind() {
        return EnvironmentKind.WALL;
    }

    @Override
    public StartGoal sample(long seed) {
        double[][] sg = WallStartGoal.sample(seed);
        return new StartGoal(seed, sg[0], sg[1], "random_state");
    }
}
