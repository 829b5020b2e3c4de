package dev.qwm.planning.eval;

import dev.qwm.env.Environment;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.wall.WallEnvironment;
import dev.qwm.env.wall.WallStartGoal;
import dev.qwm.planning.DataSplit;
import dev.qwm.planning.mpc.EpisodeSpec;

/** The evaluation episodes of each task, drawn as DINO-WM draws them. */
public final class EpisodeSources {

    private EpisodeSources() {
    }

    public static EpisodeSource forEnvironment(String environment) {
        return switch (EnvironmentKind.parse(environment)) {
            case WALL -> wall();
            case PUSHT -> throw new UnsupportedOperationException("PushT episodes are not available yet");
        };
    }

    /**
     * Wall ({@code goal_source: random_state}): {@code generate_random_state(seed)} puts start and goal in opposite
     * rooms. The layout is DINO-WM's fixed one (wall x 32, door y 30) on both splits, so the split changes nothing.
     */
    public static EpisodeSource wall() {
        return new EpisodeSource() {
            @Override
            public String environment() {
                return "wall";
            }

            @Override
            public Environment newEnvironment() {
                return new WallEnvironment();
            }

            @Override
            public EpisodeSpec episode(int index, long seed, DataSplit split) {
                double[][] startGoal = WallStartGoal.sample(seed);
                return new EpisodeSpec(index, seed, split, startGoal[0], startGoal[1]);
            }
        };
    }
}
